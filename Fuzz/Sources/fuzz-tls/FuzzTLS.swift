import TrafficModel
import Wire
import FuzzDriver

/// The TLS record layer (TLSDecryptor over TLSRecordReader and the hello
/// parsers) on arbitrary bytes. First byte: bit 0 picks the direction the
/// bytes start in, the rest (plus 1) is the chunk size; each chunk flips the
/// direction. The key log holds a TLS 1.2 master secret and TLS 1.3 handshake
/// secrets for the all-zero client random, so inputs that start with a
/// ClientHello of that random reach the key schedules and record decryption;
/// resumed TLS 1.2 handshakes of other randoms reach the session cache.
let keyLog = TLSKeyLog(parsing: """
    CLIENT_RANDOM \(String(repeating: "00", count: 32)) \(String(repeating: "11", count: 48))
    CLIENT_HANDSHAKE_TRAFFIC_SECRET \(String(repeating: "00", count: 32)) \(String(repeating: "22", count: 32))
    SERVER_HANDSHAKE_TRAFFIC_SECRET \(String(repeating: "00", count: 32)) \(String(repeating: "33", count: 32))
    CLIENT_TRAFFIC_SECRET_0 \(String(repeating: "00", count: 32)) \(String(repeating: "44", count: 32))
    SERVER_TRAFFIC_SECRET_0 \(String(repeating: "00", count: 32)) \(String(repeating: "55", count: 32))
    """)

/// The key log, and a session cache (new for every input, so runs do not
/// depend on one another) that knows a TLS 1.2 session by the session ID
/// 32 x 0xAA and by the ticket 40 x 0x7E: a resumed handshake whose client
/// random is not in the log reaches the cache lookup.
struct FuzzSecrets: TLSSecretSource {
    let sessionCache: TLSSessionCache?

    init() {
        let cache = TLSSessionCache()
        cache.remember(masterSecret: Array(repeating: 0x11, count: 48), for: .sessionID(Array(repeating: 0xAA, count: 32)))
        cache.remember(masterSecret: Array(repeating: 0x11, count: 48), for: .ticket(Array(repeating: 0x7E, count: 40)))
        sessionCache = cache
    }

    func secrets(forClientRandom random: [UInt8]) -> TLSKeyLog.Secrets? { keyLog.secrets(forClientRandom: random) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    var direction: Direction = data[0] & 1 == 0 ? .client : .server
    let chunk = Int(data[0] >> 1) + 1
    let body = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    var decryptor = TLSDecryptor(secrets: FuzzSecrets())
    var start = 0
    while start < body.count {
        let end = min(start + chunk, body.count)
        for case .plaintext(_, let bytes) in decryptor.receive(body[start..<end], from: direction) where bytes.isEmpty {
            fatalError("empty plaintext event")
        }
        start = end
        direction = direction.reversed
    }
    _ = decryptor.finish()
    return 0
}

@_cdecl("fuzz_tls_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
