import Foundation
import TestSupport
import TrafficModel
import XCTest
@testable import Wire

/// The fuzz-tls seeds (resumptions, a renegotiation, 0-RTT) mutated with a
/// seeded generator and fed as the fuzz target feeds them, with its key log
/// and session cache: whatever the bytes, the record layer returns events and
/// never traps, and plaintext events are never empty. A fast stand-in for the
/// fuzzer in every test run; each failure repeats from its seed.
/// `TLS_MUTATION_ROUNDS=N` runs N mutations per seed instead of 1500.
final class TLSMutationTests: XCTestCase {
    static let seeds = ["tls12-hellos", "tls12-session-id-resumed", "tls12-session-id-resumed-from-cache", "tls13-psk-resumed", "tls12-renegotiation", "tls13-early-data-no-key"]

    /// The fuzz target's secrets (FuzzTLS.swift): the zero random's lines and a cache knowing one session.
    struct FuzzSecrets: TLSSecretSource {
        static let log: TLSKeyLog = {
            let zero = String(repeating: "00", count: 32)
            return TLSKeyLog(parsing: [("CLIENT_RANDOM", "11", 48), ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "22", 32), ("SERVER_HANDSHAKE_TRAFFIC_SECRET", "33", 32),
                                       ("CLIENT_TRAFFIC_SECRET_0", "44", 32), ("SERVER_TRAFFIC_SECRET_0", "55", 32)]
                .map { "\($0.0) \(zero) \(String(repeating: $0.1, count: $0.2))" }.joined(separator: "\n"))
        }()
        let sessionCache: TLSSessionCache?

        init() {
            let cache = TLSSessionCache()
            cache.remember(masterSecret: Array(repeating: 0x11, count: 48), for: .sessionID(Array(repeating: 0xAA, count: 32)))
            cache.remember(masterSecret: Array(repeating: 0x11, count: 48), for: .ticket(Array(repeating: 0x7E, count: 40)))
            sessionCache = cache
        }

        func secrets(forClientRandom random: [UInt8]) -> TLSKeyLog.Secrets? { Self.log.secrets(forClientRandom: random) }
    }

    static let rounds = ProcessInfo.processInfo.environment["TLS_MUTATION_ROUNDS"].flatMap(Int.init) ?? 1500

    func mutate(_ input: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<random.int(1...4) {
            guard bytes.count > 2 else { break }
            let at = random.int(1...(bytes.count - 1))  // the first byte (direction, chunk size) too, sometimes
            switch random.next(upTo: 5) {
            case 0: bytes[at] ^= UInt8(1) << UInt8(random.next(upTo: 8))
            case 1: bytes[at] = random.nextByte()
            case 2: bytes.removeSubrange(at..<min(bytes.count, at + random.int(1...64)))
            case 3: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + random.int(1...64))], at: random.int(1...(bytes.count - 1)))
            default: bytes[0] = random.nextByte()
            }
        }
        return bytes
    }

    func testMutatedSeedsNeverTrap() throws {
        var random = SplitMix64(seed: 17)
        var plaintextEvents = 0
        for seed in Self.seeds {
            let original = Array(try XCTUnwrap(FileManager.default.contents(atPath: Corpus.packageRoot + "/Fuzz/Corpus/fuzz-tls/" + seed), seed))
            for round in 0..<Self.rounds {
                let bytes = round == 0 ? original : mutate(original, &random)
                let events = TLSResumptionTests.feed(bytes, secrets: FuzzSecrets()).events
                for case .plaintext(_, let plaintext) in events {
                    XCTAssertFalse(plaintext.isEmpty, "\(seed) round \(round)")
                    plaintextEvents += 1
                }
            }
        }
        XCTAssertGreaterThan(plaintextEvents, 0, "the seeds decrypt, so mutations reach the decrypted paths")
    }
}
