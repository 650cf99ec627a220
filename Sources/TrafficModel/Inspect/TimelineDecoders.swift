/// Readable forms of payloads the timeline cannot decode itself: protocols
/// over WebSocket or HTTP bodies (Engine.IO / Socket.IO) are parsed in Wire,
/// which TrafficModel does not import, so `inspect` hands their decoders in.
/// Each returns nil to leave the default preview.
public struct TimelineDecoders: Sendable {
    /// A payload's readable form, and whether it reports an error.
    public struct Decoded: Hashable, Sendable {
        public var text: String
        public var isError: Bool

        public init(_ text: String, isError: Bool = false) {
            self.text = text
            self.isError = isError
        }
    }

    public var message: @Sendable (Session, WebSocketMessage) -> Decoded?
    /// An HTTP body of an exchange (the request's or the response's).
    public var body: @Sendable (Session, HTTPExchange, Body) -> Decoded?
    /// A note for the session's heading (which logical session it belongs to).
    public var session: @Sendable (Session) -> String?

    public init(
        message: @escaping @Sendable (Session, WebSocketMessage) -> Decoded?,
        body: @escaping @Sendable (Session, HTTPExchange, Body) -> Decoded?,
        session: @escaping @Sendable (Session) -> String? = { _ in nil }
    ) {
        self.message = message
        self.body = body
        self.session = session
    }

    /// Only the default previews.
    public static let none = TimelineDecoders(message: { _, _ in nil }, body: { _, _, _ in nil })
}
