import TrafficModel
import Wire

/// A request reduced to what matching compares: method, path, query
/// parameters (an order-insensitive multiset, credentials left out because
/// the auth class covers them, Engine.IO's per-connection `t` and `sid` by presence only),
/// body, and the credentials presented.
struct RequestShape: Hashable, Sendable {
    var method: String
    var path: String
    /// Sorted (name, value) pairs without credential parameters.
    var query: [QueryParameter]
    var bodyKey: String
    var body: Body?
    var auth: PresentedAuth
    /// The Accept header: not part of the match, but among equal candidates
    /// the one recorded with the same Accept is served first (a token
    /// endpoint answering JSON or form-encoded by content negotiation).
    var accept: String

    struct QueryParameter: Hashable, Comparable, Sendable {
        var name: String
        var value: String
        static func < (a: QueryParameter, b: QueryParameter) -> Bool { (a.name, a.value) < (b.name, b.value) }
    }

    init(_ request: HTTPRequest, classifier: AuthClassifier) {
        auth = classifier.presented(in: request)
        let credentialParameters = Set(auth.locations.filter { $0.hasPrefix("query:") }.map { String($0.dropFirst(6)) })
        method = request.method.uppercased()
        // Percent-decoded, a `+` kept as it is (a path is not a form); most paths have neither.
        let raw = request.path
        path = raw.utf8.contains { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }
            ? CredentialLocator.percentDecode(raw.replacing("+", with: "%2B")) : raw
        // Engine.IO's cache buster and session id change on every run: only their presence counts.
        query = EngineIOQuery.stable(CredentialLocator.queryPairs(request.query))
            .filter { !credentialParameters.contains($0.0) }
            .map { QueryParameter(name: $0.0, value: $0.1) }
            .sorted()
        body = request.body.flatMap { $0.count == 0 ? nil : $0 }
        // An Engine.IO POST's heartbeats are the client's answers to the mock's live pings: not compared.
        // Its ack ids are the client's own numbering (`421[…]` or `420[…]`): compared without them.
        if EngineIOQuery.isEngineIO(CredentialLocator.queryPairs(request.query)) {
            body = EngineIOHeartbeat.withoutHeartbeats(body)
            if case .text(let text)? = body { body = .text(SocketIOPacket.removingAckIDs(inPollingPayload: text)) }
        }
        bodyKey = PayloadMatch.key(body)
        accept = request.headers.all("Accept").joined(separator: ", ").lowercased()
    }

    /// Method and path: two requests that differ here are never the same request.
    var route: String { method + " " + path }

    /// True when everything but auth is equal (bodies compared by `PayloadMatch`).
    func sameRequest(as other: RequestShape, exact: Bool) -> Bool {
        guard method == other.method, path == other.path, query == other.query else { return false }
        return bodyKey == other.bodyKey || PayloadMatch.differences(expected: body, actual: other.body, exact: exact).isEmpty
    }
}
