/// The cipher suites the record layer decrypts, with what their key schedule
/// needs. TLS 1.3 suites (RFC 8446 §B.4), and the TLS 1.2 AEAD (RFC 5288,
/// RFC 5289, RFC 7905) and CBC (RFC 5246, RFC 5289) suites clients still offer.
/// The key exchange (RSA, DHE, ECDHE) does not matter here: the key log holds
/// the secrets it produced.
public struct TLSCipherSuite: Hashable, Sendable {
    public enum Cipher: Hashable, Sendable {
        case aesGCM(keyLength: Int)
        case chaCha20Poly1305
        case aesCBC(keyLength: Int, mac: Hash)
    }

    /// The hash of the PRF (TLS 1.2) or HKDF (TLS 1.3), and of CBC suites' HMAC.
    public enum Hash: Hashable, Sendable {
        case sha1, sha256, sha384

        public var length: Int {
            switch self {
            case .sha1: 20
            case .sha256: 32
            case .sha384: 48
            }
        }
    }

    public let code: UInt16
    public let name: String
    public let cipher: Cipher
    /// SHA-256 or SHA-384 (never SHA-1: TLS 1.2's PRF with a SHA-1 suite is SHA-256).
    public let prf: Hash
    public let tls13: Bool

    /// `TLS_…` for a suite in the table, else the code in hex (`0xC0FF`).
    public static func name(of code: UInt16) -> String { known[code]?.name ?? hex(code) }

    static func hex(_ code: UInt16) -> String {
        let digits = String(code, radix: 16, uppercase: true)
        return "0x" + String(repeating: "0", count: 4 - digits.count) + digits
    }

    public static func suite(_ code: UInt16) -> TLSCipherSuite? { known[code] }

    private static let known: [UInt16: TLSCipherSuite] = {
        var table: [UInt16: TLSCipherSuite] = [:]
        func add(_ code: UInt16, _ name: String, _ cipher: Cipher, _ prf: Hash, tls13: Bool = false) {
            table[code] = TLSCipherSuite(code: code, name: name, cipher: cipher, prf: prf, tls13: tls13)
        }
        add(0x1301, "TLS_AES_128_GCM_SHA256", .aesGCM(keyLength: 16), .sha256, tls13: true)
        add(0x1302, "TLS_AES_256_GCM_SHA384", .aesGCM(keyLength: 32), .sha384, tls13: true)
        add(0x1303, "TLS_CHACHA20_POLY1305_SHA256", .chaCha20Poly1305, .sha256, tls13: true)
        let gcm128 = Cipher.aesGCM(keyLength: 16), gcm256 = Cipher.aesGCM(keyLength: 32)
        add(0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", gcm128, .sha256)
        add(0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", gcm256, .sha384)
        add(0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", gcm128, .sha256)
        add(0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", gcm256, .sha384)
        add(0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", gcm128, .sha256)
        add(0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", gcm256, .sha384)
        add(0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", gcm128, .sha256)
        add(0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", gcm256, .sha384)
        add(0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", .chaCha20Poly1305, .sha256)
        add(0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", .chaCha20Poly1305, .sha256)
        add(0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", .chaCha20Poly1305, .sha256)
        func cbc(_ bits: Int, _ mac: Hash) -> Cipher { .aesCBC(keyLength: bits / 8, mac: mac) }
        add(0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", cbc(128, .sha1), .sha256)
        add(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", cbc(256, .sha1), .sha256)
        add(0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", cbc(128, .sha256), .sha256)
        add(0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", cbc(256, .sha256), .sha256)
        add(0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", cbc(128, .sha1), .sha256)
        add(0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", cbc(256, .sha1), .sha256)
        add(0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", cbc(128, .sha256), .sha256)
        add(0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", cbc(256, .sha256), .sha256)
        add(0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", cbc(128, .sha1), .sha256)
        add(0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", cbc(256, .sha1), .sha256)
        add(0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", cbc(128, .sha1), .sha256)
        add(0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", cbc(256, .sha1), .sha256)
        add(0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", cbc(128, .sha256), .sha256)
        add(0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", cbc(256, .sha384), .sha384)
        add(0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", cbc(128, .sha256), .sha256)
        add(0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", cbc(256, .sha384), .sha384)
        return table
    }()
}
