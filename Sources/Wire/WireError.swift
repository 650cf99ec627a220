public import TrafficModel

/// Wire's one error: why bytes could not be parsed as HTTP/1.x or WebSocket
/// frames, or why a permessage-deflate acceptance must be rejected.
///
/// A `CodedError`: like swift-asn1's `ASN1Error`, equal (and hashable) on the
/// `code` only, so tests compare against a kind of failure; the location (the
/// stream offset of the offending byte, line or frame header) and the reason
/// are for the person reading the anomaly.
///
/// After an HTTP/1.1 error the parser stays failed (it re-throws the same
/// error); the unparsed bytes from the offset on are available from
/// `HTTP1Parser.takeRemainingBytes()` so the caller can keep them as an anomaly.
public struct WireError: CodedError {
    public var code: Code
    public var location: ErrorLocation
    public var reason: String

    public init(code: Code, location: ErrorLocation = ErrorLocation(), reason: String) {
        (self.code, self.location, self.reason) = (code, location, reason)
    }

    /// An error at an offset in one direction's stream.
    public init(_ code: Code, offset: Int, reason: String) {
        self.init(code: code, location: ErrorLocation(offset: offset), reason: reason)
    }

    /// The text anomalies and messages show, by the protocol the code belongs to.
    public var description: String {
        let offset = location.offset ?? 0
        switch code.base {
        case .invalidStartLine, .invalidFieldLine, .whitespaceBeforeColon, .invalidContentLength,
            .conflictingContentLength, .invalidTransferEncoding, .invalidChunkSize, .invalidChunkTerminator,
            .headerTooLarge, .tooManyHeaderFields, .truncatedHead:
            return "HTTP/1.1 parse error at stream offset \(offset): \(reason)"
        case .lengthTopBitSet, .framePayloadOverLimit:
            return "WebSocket frame at stream offset \(offset): \(reason)"
        case .invalidDeflateNegotiation:
            return "Sec-WebSocket-Extensions: \(reason)"
        case .eventOverLimit:
            return "event stream at body offset \(offset): \(reason)"
        case .invalidEngineIOPacket:
            return "Engine.IO packet at offset \(offset): \(reason)"
        case .invalidSocketIOPacket:
            return "Socket.IO packet at offset \(offset): \(reason)"
        case .invalidTLSRecord:
            return "TLS record at stream offset \(offset): \(reason)"
        case .invalidTLSHandshake:
            return "TLS handshake: \(reason)"
        }
    }
}

extension WireError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: Hashable, Sendable {
            // HTTP/1.x
            case invalidStartLine
            case invalidFieldLine
            case whitespaceBeforeColon
            case invalidContentLength
            case conflictingContentLength
            case invalidTransferEncoding
            case invalidChunkSize
            case invalidChunkTerminator
            case headerTooLarge
            case tooManyHeaderFields
            case truncatedHead
            // WebSocket frames
            case lengthTopBitSet
            case framePayloadOverLimit
            // permessage-deflate
            case invalidDeflateNegotiation
            // text/event-stream
            case eventOverLimit
            // Engine.IO / Socket.IO
            case invalidEngineIOPacket
            case invalidSocketIOPacket
            // TLS
            case invalidTLSRecord
            case invalidTLSHandshake
        }

        fileprivate let base: Base
        private init(_ base: Base) { self.base = base }

        /// HTTP/1.x: a request or status line that is not one (RFC 9112 §3, §4).
        public static let invalidStartLine = Code(.invalidStartLine)
        /// HTTP/1.x: a field line without a colon, with an empty or non-token name.
        public static let invalidFieldLine = Code(.invalidFieldLine)
        /// HTTP/1.x: whitespace between a field name and its colon (RFC 9112 §5.1).
        public static let whitespaceBeforeColon = Code(.whitespaceBeforeColon)
        /// HTTP/1.x: a Content-Length that is not a number.
        public static let invalidContentLength = Code(.invalidContentLength)
        /// HTTP/1.x: Content-Length values that disagree.
        public static let conflictingContentLength = Code(.conflictingContentLength)
        /// HTTP/1.x: a Transfer-Encoding that does not end in chunked.
        public static let invalidTransferEncoding = Code(.invalidTransferEncoding)
        /// HTTP/1.x: a chunk-size line that is not one.
        public static let invalidChunkSize = Code(.invalidChunkSize)
        /// HTTP/1.x: chunk data not followed by CRLF.
        public static let invalidChunkTerminator = Code(.invalidChunkTerminator)
        /// HTTP/1.x: a head or trailer section over `HTTP1Parser.Limits.maxHeaderBytes`.
        public static let headerTooLarge = Code(.headerTooLarge)
        /// HTTP/1.x: more field lines than the limit.
        public static let tooManyHeaderFields = Code(.tooManyHeaderFields)
        /// HTTP/1.x: the stream ended (`finish()`) inside a message head.
        public static let truncatedHead = Code(.truncatedHead)
        /// WebSocket: a 64-bit payload length with the most significant bit set (RFC 6455 §5.2).
        public static let lengthTopBitSet = Code(.lengthTopBitSet)
        /// WebSocket: a payload length over `WebSocketLimits.maxFramePayload`.
        public static let framePayloadOverLimit = Code(.framePayloadOverLimit)
        /// permessage-deflate: a 101 response whose acceptance a client must reject (RFC 7692 §5).
        public static let invalidDeflateNegotiation = Code(.invalidDeflateNegotiation)
        /// Server-Sent Events: one event block longer than `ServerSentEventParser.maxEventBytes`.
        public static let eventOverLimit = Code(.eventOverLimit)
        /// Engine.IO: a packet that is not one (an unknown type, bad base64 in a polling payload).
        public static let invalidEngineIOPacket = Code(.invalidEngineIOPacket)
        /// Socket.IO: a packet that is not one (an unknown type, a bad namespace, ack id or JSON).
        public static let invalidSocketIOPacket = Code(.invalidSocketIOPacket)
        /// TLS: a record header that is not one, or a record over the RFC 8446 §5.2 / RFC 5246 §6.2.3 limit.
        public static let invalidTLSRecord = Code(.invalidTLSRecord)
        /// TLS: a handshake message (ClientHello, ServerHello, EncryptedExtensions) that does not parse.
        public static let invalidTLSHandshake = Code(.invalidTLSHandshake)

        public var description: String { String(describing: base) }
    }
}
