/// Size limits for parsing one direction of a captured WebSocket stream.
///
/// A capture may hold hostile or corrupt traffic, so every length read from
/// the wire is checked against these before anything is allocated.
public struct WebSocketLimits: Hashable, Sendable {
    /// Largest payload one frame may declare. Default 16 MiB. A frame header
    /// claiming more is a parse error (the stream cannot be followed further
    /// without buffering it).
    public var maxFramePayload: Int
    /// Largest message, after decompression. Default 16 MiB. Also bounds the
    /// compressed bytes collected for one message, so it is the
    /// decompression-bomb guard: inflating stops here and the output is kept
    /// truncated, with a `limit` violation.
    public var maxMessageBytes: Int

    public init(maxFramePayload: Int = 16 << 20, maxMessageBytes: Int = 16 << 20) {
        precondition(maxFramePayload >= 0 && maxMessageBytes >= 0, "WebSocket limits must not be negative")
        self.maxFramePayload = maxFramePayload
        self.maxMessageBytes = maxMessageBytes
    }

    public static let `default` = WebSocketLimits()
}
