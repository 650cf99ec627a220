public import TrafficModel

/// Re-signs the JWTs the mock hands out with the test key, and maps them
/// back when clients present them, so matching sees the recorded tokens
/// (auth class `issued`, the same session chosen) while clients see tokens
/// they can verify.
///
/// Each handed-out token keeps its header (but `kid`) and claims (but `iss`
/// with `--issuer`), with `iat`/`nbf`/`exp` moved so they relate to the
/// moment it is served as the recorded ones related to the moment the
/// recording handed it out. Covered: every JWT in a response's headers
/// (Set-Cookie, Location…) and body (JSON, form-encoded or any text: JWT
/// characters need no escaping in either), and in the text of server
/// WebSocket messages (a token refreshed over the socket).
///
/// Pure: the clock is passed in. Holds at most `capacity` minted tokens;
/// beyond, the oldest are forgotten (a client presenting one then gets it
/// judged by the test key like any token it made itself).
public struct TokenMint: Sendable {
    public static let defaultCapacity = 65_536

    public let signing: TestKeySigning
    public let documents: KeyDocuments
    public let capacity: Int
    /// Minted token → the recorded token it stands for.
    private var recorded: [String: String] = [:]
    /// Minted tokens in the order they were made, for eviction.
    private var order: [String] = []
    private var evicted = 0

    public init(signing: TestKeySigning, documents: KeyDocuments, capacity: Int = Self.defaultCapacity) {
        self.signing = signing
        self.documents = documents
        self.capacity = max(1, capacity)
    }

    /// How many minted tokens can be mapped back now.
    public var count: Int { recorded.count }

    /// `response` with every JWT re-signed.
    /// - Parameters:
    ///   - handedOutAt: when the recording sent it (seconds since the epoch, its clock).
    ///   - now: the wall clock.
    public mutating func mint(_ response: HTTPResponse, handedOutAt: Double, now: Double) -> HTTPResponse {
        // Whole seconds, rounded down: a recorded `iat` is at or before the
        // recorded moment, so the minted one is at or before now, and a
        // verifier without leeway (PyJWT) never sees a token from the future.
        let shift = Int((now - handedOutAt).rounded(.down))
        var result = response
        result.headers = response.headers.map { HeaderField($0.name, mint(in: $0.value, shift: shift)) }
        if let text = response.body?.text { result.body = .text(mint(in: text, shift: shift)) }
        return result
    }

    /// A server WebSocket message with every JWT in its text re-signed
    /// (`handedOutAt`: when the recording sent it). Its recorded frame layout
    /// is kept in proportion by the framer when the length changes.
    public mutating func mint(_ message: WebSocketMessage, handedOutAt: Double, now: Double) -> WebSocketMessage {
        guard message.opcode == .text || message.opcode == .binary, let text = message.payload.text else { return message }
        let shift = Int((now - handedOutAt).rounded(.down))
        var result = message
        result.payload = .text(mint(in: text, shift: shift))
        return result
    }

    /// `request` with every token this mint made replaced by its recorded self.
    public func restore(_ request: HTTPRequest) -> HTTPRequest {
        guard !recorded.isEmpty else { return request }
        var result = request
        result.target = restore(in: request.target)
        result.headers = request.headers.map { HeaderField($0.name, restore(in: $0.value)) }
        if let text = request.body?.text { result.body = .text(restore(in: text)) }
        return result
    }

    /// A client WebSocket message with the tokens this mint made restored.
    public func restore(_ message: WebSocketMessage) -> WebSocketMessage {
        guard !recorded.isEmpty, let text = message.payload.text else { return message }
        var result = message
        result.payload = .text(restore(in: text))
        return result
    }

    private func restore(in text: String) -> String {
        var result = text
        for jwt in JWT.findAll(in: text) {
            if let original = recorded[jwt.compact] { result = result.replacing(jwt.compact, with: original) }
        }
        return result
    }

    private mutating func mint(in text: String, shift: Int) -> String {
        var result = text
        for jwt in JWT.findAll(in: text) {
            let minted = signing.resigner.resign(jwt, shift: shift, keyID: signing.keyID, claims: documents.issuerClaim(for: jwt, signing: signing))
            remember(minted, for: jwt.compact)
            result = result.replacing(jwt.compact, with: minted)
        }
        return result
    }

    private mutating func remember(_ minted: String, for original: String) {
        if recorded.updateValue(original, forKey: minted) == nil { order.append(minted) }
        while recorded.count > capacity, evicted < order.count {
            recorded[order[evicted]] = nil
            evicted += 1
        }
        // Compact the queue once its forgotten head outgrows the live part.
        if evicted > capacity {
            order.removeFirst(evicted)
            evicted = 0
        }
    }
}
