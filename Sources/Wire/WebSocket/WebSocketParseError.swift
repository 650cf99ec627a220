/// A WebSocket stream that cannot be framed any further.
///
/// Equal on the code, so tests can compare against a kind of failure; the
/// reason and offset are for the person reading the anomaly.
public struct WebSocketParseError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: Hashable, Sendable {
        /// A 64-bit payload length with the most significant bit set (RFC 6455 §5.2).
        case lengthTopBitSet
        /// A payload length over `WebSocketLimits.maxFramePayload`.
        case framePayloadOverLimit
    }

    public let code: Code
    /// Stream offset of the frame header that failed.
    public let offset: Int
    public let reason: String

    package init(_ code: Code, offset: Int, reason: String) {
        self.code = code
        self.offset = offset
        self.reason = reason
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public var description: String { "WebSocket frame at stream offset \(offset): \(reason)" }
}
