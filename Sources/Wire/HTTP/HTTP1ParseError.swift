/// Why bytes of a captured HTTP/1.1 stream could not be parsed, and where.
///
/// Equal on `kind` and `offset`; `reason` is for people. After an error the
/// parser stays failed (it re-throws the same error); the unparsed bytes from
/// `offset` on are available from `HTTP1Parser.takeRemainingBytes()` so the
/// caller can keep them as an anomaly.
public struct HTTP1ParseError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        case invalidStartLine = "invalid-start-line"
        case invalidFieldLine = "invalid-field-line"
        case whitespaceBeforeColon = "whitespace-before-colon"
        case invalidContentLength = "invalid-content-length"
        case conflictingContentLength = "conflicting-content-length"
        case invalidTransferEncoding = "invalid-transfer-encoding"
        case invalidChunkSize = "invalid-chunk-size"
        case invalidChunkTerminator = "invalid-chunk-terminator"
        case headerTooLarge = "header-too-large"
        case tooManyHeaderFields = "too-many-header-fields"
        /// The stream ended (`finish()`) inside a message head.
        case truncatedHead = "truncated-head"
    }

    public let kind: Kind
    /// Offset in this direction's stream of the offending byte or line.
    public let offset: Int
    public let reason: String

    public init(_ kind: Kind, offset: Int, reason: String) {
        self.kind = kind
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "HTTP/1.1 parse error at stream offset \(offset): \(reason)" }

    public static func == (a: HTTP1ParseError, b: HTTP1ParseError) -> Bool {
        a.kind == b.kind && a.offset == b.offset
    }
}
