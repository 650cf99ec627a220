public import TrafficModel
import Wire

/// Token chaining: recorded credential values replaced by the live ones.
///
/// A value the recording shows as issued in a response (an access token, a
/// session id, a cookie) and presented later is replaced by whatever the
/// target issued at the same location (JSON path in the body, Set-Cookie
/// name). Re-signed JWTs go through the same table. Pure: responses in,
/// substitutions out.
public struct TokenChain: Sendable {
    /// Values shorter than this are never substituted: replacing `1` or `ok`
    /// everywhere would corrupt requests.
    public static let minimumLength = 8

    public var locator: CredentialLocator
    /// Recorded value → value to send instead.
    public private(set) var substitutions: [String: String] = [:]

    public init(locator: CredentialLocator = .default, seed: [String: String] = [:]) {
        self.locator = locator
        self.substitutions = seed.filter { $0.key.utf8.count >= Self.minimumLength }
    }

    /// Learns the live values the target issued where the recording shows
    /// issued credentials. Returns a note per recorded credential the target
    /// did not issue (the recorded value stays in use).
    public mutating func learn(recorded: HTTPResponse?, live: HTTPResponse) -> [String] {
        guard let recorded else { return [] }
        let liveCredentials = locator.issued(in: live)
        var notes: [String] = []
        // Engine.IO: the live session id replaces the recorded one in later
        // requests (`sid=` of every polling request and of the upgrade).
        if let recordedSID = EngineIOPacket.openSessionID(recorded.body), let liveSID = EngineIOPacket.openSessionID(live.body),
           recordedSID.utf8.count >= Self.minimumLength {
            substitutions[recordedSID] = liveSID
        }
        for credential in locator.issued(in: recorded) where credential.value.utf8.count >= Self.minimumLength {
            if let match = liveCredentials.first(where: { $0.location == credential.location }) {
                substitutions[credential.value] = match.value
            } else {
                notes.append("the target issued no credential at \(credential.location); the recorded value is sent instead")
            }
        }
        return notes
    }

    public func apply(_ text: String) -> String {
        guard !substitutions.isEmpty else { return text }
        var result = text
        // Longest first, so a value containing another one is replaced whole.
        for (recorded, live) in substitutions.sorted(by: { ($0.key.utf8.count, $0.key) > ($1.key.utf8.count, $1.key) }) where result.contains(recorded) {
            result = result.replacing(recorded, with: live)
        }
        return result
    }

    /// The request with substitutions in its target, header values and text
    /// body; Content-Length is corrected (in place) when the body changed.
    public func apply(to request: HTTPRequest) -> HTTPRequest {
        var out = request
        out.target = apply(request.target)
        out.headers = request.headers.map { HeaderField($0.name, apply($0.value)) }
        if case .text(let text) = request.body {
            let body = apply(text)
            if body != text { out = Self.replacingTextBody(of: out, with: body) }
        }
        return out
    }

    /// The request with another text body, its Content-Length corrected (in place).
    static func replacingTextBody(of request: HTTPRequest, with body: String) -> HTTPRequest {
        var out = request
        out.body = .text(body)
        out.headers = out.headers.map { field in
            field.name.lowercased() == "content-length" ? HeaderField(field.name, String(body.utf8.count)) : field
        }
        return out
    }

    /// Takes what another copy of the chain learned (the connections of one
    /// long-polling session learn side by side); its values win.
    mutating func merge(_ other: TokenChain) {
        substitutions.merge(other.substitutions) { _, learned in learned }
    }

    public func apply(to message: WebSocketMessage) -> WebSocketMessage {
        guard case .text(let text) = message.payload, message.opcode == .text else { return message }
        var out = message
        out.payload = .text(apply(text))
        if out.payload != message.payload { out.frames = nil }  // lengths changed: one plain frame
        return out
    }
}
