/// Bounds on what one `HTTP1Parser` keeps in memory. A captured stream is
/// untrusted input: without them a single hostile connection could grow the
/// buffer or a body without end.
public struct HTTP1Limits: Hashable, Sendable {
    /// Largest head accepted: start line, field lines and the empty line that
    /// ends them (also applied to a trailer section and a chunk-size line).
    /// Default 64 KiB, above what browsers and common servers send or accept.
    public var maxHeaderBytes: Int
    /// Most field lines in a head or trailer section. Default 256.
    public var maxHeaderFields: Int
    /// Most body bytes kept in a message. A longer body is still framed and
    /// skipped correctly, but `HTTP1Message.body` holds only its first
    /// `maxBodyBytes` bytes and `bodyTruncated` is set. Default 16 MiB.
    public var maxBodyBytes: Int

    public init(maxHeaderBytes: Int = 64 * 1024, maxHeaderFields: Int = 256, maxBodyBytes: Int = 16 * 1024 * 1024) {
        precondition(maxHeaderBytes > 0 && maxHeaderFields >= 0 && maxBodyBytes >= 0, "HTTP1Limits must not be negative")
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderFields = maxHeaderFields
        self.maxBodyBytes = maxBodyBytes
    }

    public static let `default` = HTTP1Limits()
}
