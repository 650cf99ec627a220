/// What a session's TLS layer was, when the capture decrypted (or only saw)
/// one: the negotiated version and cipher suite and what the ClientHello and
/// ServerHello named. Never the keys: those stay in the key log.
public struct TLSInfo: Hashable, Sendable {
    /// `tls1.2` or `tls1.3` (what the ServerHello chose); nil when no ServerHello was seen.
    public var version: String?
    /// The IANA name (`TLS_AES_128_GCM_SHA256`), or `0xC0FF` for a suite without one here.
    public var cipherSuite: String?
    /// server_name (RFC 6066 §3) from the ClientHello.
    public var sni: String?
    /// The protocol the server selected (RFC 7301), such as `http/1.1` or `h2`.
    public var alpn: String?
    /// The handshake resumed an earlier session (TLS 1.2 session ID or ticket,
    /// RFC 5246 §7.4.1.3 and RFC 5077; TLS 1.3 PSK, RFC 8446 §2.2): no
    /// certificate was sent, so a reader knows why none appears.
    public var resumed: Bool

    public init(version: String? = nil, cipherSuite: String? = nil, sni: String? = nil, alpn: String? = nil, resumed: Bool = false) {
        self.version = version
        self.cipherSuite = cipherSuite
        self.sni = sni
        self.alpn = alpn
        self.resumed = resumed
    }

    /// `tls1.3 TLS_AES_128_GCM_SHA256 sni=staging.example.com alpn=http/1.1`, for `inspect`.
    public var summary: String {
        var parts = [version ?? "tls", cipherSuite].compactMap { $0 }
        if let sni { parts.append("sni=\(sni)") }
        if let alpn { parts.append("alpn=\(alpn)") }
        if resumed { parts.append("resumed") }
        return parts.joined(separator: " ")
    }
}

extension TLSInfo {
    var json: JSONValue {
        var o = JSONObjectBuilder()
        o.addIfPresent("version", version)
        o.addIfPresent("cipherSuite", cipherSuite)
        o.addIfPresent("sni", sni)
        o.addIfPresent("alpn", alpn)
        if resumed { o.add("resumed", .bool(true)) }  // left out when false: recordings from before stay byte-identical
        return o.object
    }

    init(reader r: JSONReader) throws(RecordingError) {
        self.init(
            version: try r.optionalString("version"), cipherSuite: try r.optionalString("cipherSuite"),
            sni: try r.optionalString("sni"), alpn: try r.optionalString("alpn"),
            resumed: try r.optionalBool("resumed") ?? false
        )
    }
}
