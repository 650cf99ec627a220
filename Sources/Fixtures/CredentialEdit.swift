public import TrafficModel
import Foundation

/// Puts a credential variant into a request, at the location a finding
/// names (`header:Authorization`, `header:Sec-WebSocket-Protocol`,
/// `cookie:NAME`, `query:NAME`, `header:X-Api-Key`). Pure.
public struct CredentialEdit: Sendable {
    public var locator: CredentialLocator

    public init(locator: CredentialLocator = .default) {
        self.locator = locator
    }

    /// The request with `variant` in place of the credential at `location`;
    /// nil when the request presents nothing there or the variant does not
    /// apply to what it presents.
    public func apply(
        _ variant: CredentialVariant, at location: String, to request: HTTPRequest, key: (any JWTSigningKey)?, now: Double
    ) -> HTTPRequest? {
        guard let credential = locator.presented(in: request).first(where: { $0.location == location }) else { return nil }
        let replacement = variant.value(replacing: credential.value, key: key, now: now)
        if variant != .missing, replacement == nil { return nil }
        var out = request
        let (kind, name) = Self.split(location)
        switch kind {
        case "header":
            guard let i = out.headers.firstIndex(where: { $0.name.lowercased() == name.lowercased() }) else { return nil }
            let field = out.headers[i]
            if name.lowercased() == "sec-websocket-protocol" {
                let elements = field.value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                let edited = elements.compactMap { element -> String? in
                    guard element.contains(credential.value) else { return element }
                    return replacement.map { element.replacingOccurrences(of: credential.value, with: $0) }
                }
                if edited.isEmpty { out.headers.remove(at: i) } else { out.headers[i].value = edited.joined(separator: ", ") }
            } else if let replacement {
                out.headers[i].value = Self.replacingCredential(in: field.value, old: credential.value, new: replacement, scheme: credential.scheme)
            } else {
                out.headers.remove(at: i)
            }
        case "cookie":
            guard let i = out.headers.firstIndex(where: { $0.name.lowercased() == "cookie" }) else { return nil }
            let pairs = CredentialLocator.cookiePairs(out.headers[i].value).compactMap { pair -> String? in
                guard pair.0 == name else { return "\(pair.0)=\(pair.1)" }
                return replacement.map { "\(pair.0)=\($0)" }
            }
            if pairs.isEmpty { out.headers.remove(at: i) } else { out.headers[i].value = pairs.joined(separator: "; ") }
        case "query":
            guard let q = out.target.firstIndex(of: "?") else { return nil }
            let path = out.target[..<q]
            let items = out.target[out.target.index(after: q)...].split(separator: "&", omittingEmptySubsequences: false).compactMap { item -> String? in
                let itemName = item.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
                guard itemName.removingPercentEncoding == name || itemName == name else { return String(item) }
                return replacement.map { "\(itemName)=\($0.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(["&", "=", "+"])) ?? $0)" }
            }
            out.target = items.isEmpty ? String(path) : "\(path)?\(items.joined(separator: "&"))"
        default:
            return nil
        }
        return out
    }

    /// The client message with `variant` in place of the credential at
    /// `location` (`message:$.token`, `message:40$.token`); nil when the
    /// message carries nothing there. `missing` removes the member.
    public func apply(
        _ variant: CredentialVariant, at location: String, to message: WebSocketMessage, key: (any JWTSigningKey)?, now: Double
    ) -> WebSocketMessage? {
        guard case .text(let text) = message.payload,
              let found = locator.presented(inMessage: message.payload).first(where: { $0.credential.location == location })
        else { return nil }
        var out = message
        out.frames = nil  // the length changes: one plain frame
        if let replacement = variant.value(replacing: found.credential.value, key: key, now: now) {
            out.payload = .text(text.replacingOccurrences(of: found.credential.value, with: replacement))
            return out
        }
        guard variant == .missing, let (prefix, json) = CredentialLocator.messageDocument(message.payload) else { return nil }
        out.payload = .text(prefix + JSONWriter.compact(Self.removing(found.path, from: json)))
        return out
    }

    /// `json` without the member at `path`.
    static func removing(_ path: [String], from json: JSONValue) -> JSONValue {
        guard let first = path.first, case .object(let members) = json else { return json }
        if path.count == 1 { return .object(members.filter { $0.0 != first }) }
        return .object(members.map { $0.0 == first ? ($0.0, removing(Array(path.dropFirst()), from: $0.1)) : $0 })
    }

    /// Whether `apply(_:at:to:key:now:)` for requests handles this location:
    /// headers, cookies and query parameters (not a request body, nor a message).
    public static func editableRequestLocation(_ location: String) -> Bool {
        ["header", "cookie", "query"].contains(split(location).0)
    }

    /// `header:Authorization` → ("header", "Authorization").
    static func split(_ location: String) -> (String, String) {
        guard let colon = location.firstIndex(of: ":") else { return (location, "") }
        return (String(location[..<colon]), String(location[location.index(after: colon)...]))
    }

    /// An Authorization value keeps its scheme; what follows it is replaced.
    /// A value that carries the credential as is (a token header) is replaced whole.
    static func replacingCredential(in value: String, old: String, new: String, scheme: AuthFinding.Scheme) -> String {
        if value.contains(old) { return value.replacingOccurrences(of: old, with: new) }
        // Basic: the credential found is the decoded user:password; the header carries base64.
        guard let space = value.firstIndex(of: " ") else { return new }
        return "\(value[..<space]) \(new)"
    }
}
