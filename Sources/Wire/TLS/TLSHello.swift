/// What the record layer needs from the hellos (RFC 8446 §4.1.2, §4.1.3;
/// RFC 5246 §7.4.1): the randoms that name the connection in the key log,
/// the version and suite the server chose, SNI and ALPN for the session, and
/// the TLS 1.2 extensions that change record protection (encrypt-then-MAC).
struct TLSClientHello: Sendable, Equatable {
    var random: [UInt8]
    /// legacy_session_id: in TLS 1.2 the session the client asks to resume (RFC 5246 §7.4.1.2).
    var sessionID: [UInt8]
    var serverName: String?
    var alpn: [String]
    /// early_data (RFC 8446 §4.2.10): 0-RTT records may follow the ClientHello.
    var offersEarlyData = false
    /// SessionTicket (RFC 5077 §3.2): the ticket of the TLS 1.2 session the client resumes; empty when none.
    var sessionTicket: [UInt8] = []

    init(parsing body: [UInt8]) throws(WireError) {
        var r = TLSByteCursor(body, what: "ClientHello")
        _ = try r.uint16()  // legacy_version
        random = try r.bytes(32)
        sessionID = try r.vector(lengthBytes: 1)
        _ = try r.vector(lengthBytes: 2)  // cipher_suites
        _ = try r.vector(lengthBytes: 1)  // legacy_compression_methods
        serverName = nil
        alpn = []
        guard !r.isAtEnd else { return }
        var extensions = TLSByteCursor(try r.vector(lengthBytes: 2), what: "ClientHello extensions")
        while !extensions.isAtEnd {
            let type = try extensions.uint16()
            var data = TLSByteCursor(try extensions.vector(lengthBytes: 2), what: "ClientHello extension \(type)")
            switch type {
            case 0:  // server_name (RFC 6066 §3): a list of (type, name); type 0 is host_name
                var list = TLSByteCursor(try data.vector(lengthBytes: 2), what: "server_name")
                while !list.isAtEnd {
                    let nameType = try list.uint8()
                    let name = try list.vector(lengthBytes: 2)
                    if nameType == 0, serverName == nil { serverName = String(decoding: name, as: UTF8.self) }
                }
            case 16:  // application_layer_protocol_negotiation (RFC 7301 §3.1)
                alpn = try TLSByteCursor.protocolNames(&data)
            case 35:
                sessionTicket = try data.bytes(data.remaining)
            case 42:
                offersEarlyData = true
            default:
                break
            }
        }
    }
}

struct TLSServerHello: Sendable, Equatable {
    /// The SHA-256 of "HelloRetryRequest": a ServerHello with this random is a
    /// HelloRetryRequest (RFC 8446 §4.1.3), and another ClientHello follows.
    static let helloRetryRequestRandom: [UInt8] = [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ]

    var random: [UInt8]
    /// legacy_session_id_echo: in TLS 1.2, the client's session ID when the server resumes it.
    var sessionID: [UInt8]
    /// 0x0304 when supported_versions says TLS 1.3, else legacy_version.
    var version: UInt16
    var cipherSuite: UInt16
    var alpn: String?
    /// RFC 7366: CBC records carry their MAC over the ciphertext.
    var encryptThenMAC = false
    /// TLS 1.3: the server accepted a pre-shared key (RFC 8446 §4.2.11), a resumption.
    var acceptedPSK = false

    var isHelloRetryRequest: Bool { random == Self.helloRetryRequestRandom }

    /// An abbreviated handshake: TLS 1.3 with a PSK, or TLS 1.2 echoing the
    /// client's non-empty session ID (RFC 5246 §7.4.1.3; with a ticket too,
    /// RFC 5077 §3.4). TLS 1.3 always echoes the ID, so only the PSK counts there.
    func resumes(clientSessionID: [UInt8]) -> Bool {
        if version == 0x0304 { return acceptedPSK }
        return !clientSessionID.isEmpty && sessionID == clientSessionID
    }

    init(parsing body: [UInt8]) throws(WireError) {
        var r = TLSByteCursor(body, what: "ServerHello")
        version = try r.uint16()
        random = try r.bytes(32)
        sessionID = try r.vector(lengthBytes: 1)
        cipherSuite = try r.uint16()
        _ = try r.uint8()  // legacy_compression_method
        guard !r.isAtEnd else { return }
        var extensions = TLSByteCursor(try r.vector(lengthBytes: 2), what: "ServerHello extensions")
        while !extensions.isAtEnd {
            let type = try extensions.uint16()
            var data = TLSByteCursor(try extensions.vector(lengthBytes: 2), what: "ServerHello extension \(type)")
            switch type {
            case 16: alpn = try TLSByteCursor.protocolNames(&data).first
            case 22: encryptThenMAC = true
            case 41: acceptedPSK = true  // pre_shared_key: the selected identity
            case 43: version = try data.uint16()  // supported_versions (RFC 8446 §4.2.1)
            default: break
            }
        }
    }
}

/// TLS 1.3's EncryptedExtensions (RFC 8446 §4.3.1): where ALPN is answered.
struct TLSEncryptedExtensions: Sendable, Equatable {
    var alpn: String?
    /// early_data: the server accepted the client's 0-RTT data (RFC 8446 §4.2.10).
    var acceptsEarlyData = false

    init(parsing body: [UInt8]) throws(WireError) {
        var r = TLSByteCursor(body, what: "EncryptedExtensions")
        var extensions = TLSByteCursor(try r.vector(lengthBytes: 2), what: "EncryptedExtensions")
        while !extensions.isAtEnd {
            let type = try extensions.uint16()
            var data = TLSByteCursor(try extensions.vector(lengthBytes: 2), what: "EncryptedExtensions extension \(type)")
            if type == 16 { alpn = try TLSByteCursor.protocolNames(&data).first }
            if type == 42 { acceptsEarlyData = true }
        }
    }
}

/// Reads the big-endian integers and length-prefixed vectors of TLS's
/// presentation language (RFC 8446 §3); running out is a thrown error naming
/// the message.
struct TLSByteCursor {
    private let bytes: [UInt8]
    private var index = 0
    private let what: String

    init(_ bytes: [UInt8], what: String) {
        self.bytes = bytes
        self.what = what
    }

    var isAtEnd: Bool { index >= bytes.count }
    /// Bytes not read yet.
    var remaining: Int { bytes.count - index }

    mutating func bytes(_ count: Int) throws(WireError) -> [UInt8] {
        guard count <= bytes.count - index else {
            throw WireError(code: .invalidTLSHandshake, reason: "\(what) ends \(count - (bytes.count - index)) bytes early")
        }
        defer { index += count }
        return Array(bytes[index..<index + count])
    }

    mutating func uint8() throws(WireError) -> UInt8 { try bytes(1)[0] }

    mutating func uint16() throws(WireError) -> UInt16 {
        let b = try bytes(2)
        return UInt16(b[0]) << 8 | UInt16(b[1])
    }

    mutating func vector(lengthBytes: Int) throws(WireError) -> [UInt8] {
        var length = 0
        for b in try bytes(lengthBytes) { length = length << 8 | Int(b) }
        return try bytes(length)
    }

    /// ProtocolNameList (RFC 7301 §3.1).
    static func protocolNames(_ data: inout TLSByteCursor) throws(WireError) -> [String] {
        var list = TLSByteCursor(try data.vector(lengthBytes: 2), what: "ALPN")
        var names: [String] = []
        while !list.isAtEnd { names.append(String(decoding: try list.vector(lengthBytes: 1), as: UTF8.self)) }
        return names
    }
}
