/// An NSS key log (`SSLKEYLOGFILE`), as browsers, curl, OpenSSL, Python's
/// `ssl`, Node, Go and Java write it: one `LABEL <client random> <secret>`
/// line per secret, both in hex
/// (https://datatracker.ietf.org/doc/draft-ietf-tls-keylogfile/).
///
/// Pure: text in, secrets out. Lines with labels this decoder has no use for
/// (`EXPORTER_SECRET`, `RSA`, …) are skipped; lines that are not in the
/// format at all are counted, so the caller can warn about them.
public struct TLSKeyLog: Sendable, Equatable {
    /// The labels the record layer uses (draft-ietf-tls-keylogfile §3).
    public enum Label: String, Sendable, CaseIterable {
        /// TLS 1.2 and earlier: the 48-byte master secret.
        case clientRandom = "CLIENT_RANDOM"
        case clientHandshakeTrafficSecret = "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
        case serverHandshakeTrafficSecret = "SERVER_HANDSHAKE_TRAFFIC_SECRET"
        case clientTrafficSecret0 = "CLIENT_TRAFFIC_SECRET_0"
        case serverTrafficSecret0 = "SERVER_TRAFFIC_SECRET_0"
        /// TLS 1.3 0-RTT: the client's early data (RFC 8446 §7.1 client_early_traffic_secret).
        case clientEarlyTrafficSecret = "CLIENT_EARLY_TRAFFIC_SECRET"
    }

    /// The secrets logged for one connection, by its ClientHello.random.
    public typealias Secrets = [Label: [UInt8]]

    public private(set) var secrets: [[UInt8]: Secrets] = [:]
    /// 1-based numbers of lines that are not `LABEL hex hex` (the first 20).
    public private(set) var malformedLines: [Int] = []
    public private(set) var malformedLineCount = 0

    public init() {}

    public init(parsing text: some StringProtocol) {
        self.init()
        add(parsing: text)
    }

    public var isEmpty: Bool { secrets.isEmpty }

    public func secrets(forClientRandom random: [UInt8]) -> Secrets? { secrets[random] }

    /// Adds the lines of another log (a second `--keylog`); later lines win.
    /// Lines are split on LF bytes (a CR before it is dropped): as Characters,
    /// Swift would read CRLF as one and never split on it.
    public mutating func add(parsing text: some StringProtocol) {
        var number = 0
        for line in Array(text.utf8).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            var end = line.endIndex
            while end > line.startIndex, [UInt8(ascii: "\r"), UInt8(ascii: " "), UInt8(ascii: "\t")].contains(line[end - 1]) { end -= 1 }
            let trimmed = line[line.startIndex..<end]
            if trimmed.isEmpty || trimmed.first == UInt8(ascii: "#") { continue }
            let fields = trimmed.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: true)
            guard fields.count == 3, let random = Self.hex(fields[1]), random.count == 32, let secret = Self.hex(fields[2]), !secret.isEmpty else {
                malformedLineCount += 1
                if malformedLines.count < 20 { malformedLines.append(number) }
                continue
            }
            guard let label = Label(rawValue: String(decoding: fields[0], as: UTF8.self)) else { continue }
            secrets[random, default: [:]][label] = secret
        }
    }

    public mutating func merge(_ other: TLSKeyLog) {
        for (random, secrets) in other.secrets { self.secrets[random, default: [:]].merge(secrets) { $1 } }
        malformedLineCount += other.malformedLineCount
    }

    static func hex(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        let utf8 = Array(text)
        guard utf8.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let high = HTTP1HeadReader.hexValue(utf8[i]), let low = HTTP1HeadReader.hexValue(utf8[i + 1]) else { return nil }
            bytes.append(UInt8(high << 4 | low))
            i += 2
        }
        return bytes
    }

    /// Lower-case hex, as key logs and anomalies print a client random.
    public static func hexString(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Where the record layer finds a connection's secrets: a parsed `TLSKeyLog`,
/// or (in Capture) key-log files read again when a live client has written
/// more lines since.
public protocol TLSSecretSource: Sendable {
    func secrets(forClientRandom random: [UInt8]) -> TLSKeyLog.Secrets?
    /// Where TLS 1.2 sessions decrypted so far are kept for resumed connections
    /// the log has no line for; nil (the default) keeps none.
    var sessionCache: TLSSessionCache? { get }
}

extension TLSSecretSource {
    public var sessionCache: TLSSessionCache? { nil }
}

extension TLSKeyLog: TLSSecretSource {}
