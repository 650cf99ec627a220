import Crypto
import Synchronization
import TestSupport
import TrafficModel
import XCTest
@testable import Wire

/// TLS 1.2 renegotiation (RFC 5746) on records sealed here with swift-crypto
/// (AES-128-GCM, RFC 5288): the server's HelloRequest, a second ClientHello
/// and ServerHello under the first keys, then each direction's
/// ChangeCipherSpec switching it to the keys of the second CLIENT_RANDOM line.
/// Fed whole and byte by byte, with the line there from the start, written
/// late (as a live client does), or never.
final class TLSRenegotiationTests: XCTestCase {
    typealias T = TLSRecordLayerTests
    static let suite = TLSCipherSuite.suite(0xC02F)!  // TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    static let first = (client: Array(repeating: UInt8(0x01), count: 32), server: Array(repeating: UInt8(0x02), count: 32), master: Array(repeating: UInt8(0x03), count: 48))
    static let second = (client: Array(repeating: UInt8(0x04), count: 32), server: Array(repeating: UInt8(0x05), count: 32), master: Array(repeating: UInt8(0x06), count: 48))

    /// The key log; the renegotiation's line only once `revealed` (a live client writes it mid-connection).
    final class Log: TLSSecretSource {
        let revealed: Mutex<Bool>
        init(revealed: Bool) { self.revealed = Mutex(revealed) }
        func secrets(forClientRandom random: [UInt8]) -> TLSKeyLog.Secrets? {
            if random == TLSRenegotiationTests.first.client { return [.clientRandom: TLSRenegotiationTests.first.master] }
            if random == TLSRenegotiationTests.second.client, revealed.withLock({ $0 }) { return [.clientRandom: TLSRenegotiationTests.second.master] }
            return nil
        }
    }

    /// One direction's TLS 1.2 AES-GCM records: explicit nonce = sequence number.
    struct Sealer12 {
        let keys: TLSRecordCipher.Keys
        var sequence: UInt64 = 0

        mutating func seal(_ type: UInt8, _ content: [UInt8]) throws -> [UInt8] {
            let explicit = (0..<8).map { UInt8(truncatingIfNeeded: sequence >> (56 - 8 * UInt64($0))) }
            sequence += 1
            let aad = explicit + [type, 3, 3, UInt8(content.count >> 8), UInt8(content.count & 0xFF)]
            let box = try AES.GCM.seal(content, using: SymmetricKey(data: keys.key), nonce: AES.GCM.Nonce(data: keys.iv + explicit), authenticating: aad)
            return T.record(type, explicit + Array(box.ciphertext) + Array(box.tag))
        }
    }

    static func sealers(_ handshake: (client: [UInt8], server: [UInt8], master: [UInt8])) -> (client: Sealer12, server: Sealer12) {
        let k = TLSKeySchedule.tls12Keys(suite: suite, masterSecret: handshake.master, clientRandom: handshake.client, serverRandom: handshake.server)
        return (Sealer12(keys: k.client), Sealer12(keys: k.server))
    }

    static func hello(_ type: UInt8, random: [UInt8]) -> [UInt8] {
        let body: [UInt8] = type == 1
            ? [3, 3] + random + [0] + T.vector([0xC0, 0x2F], lengthBytes: 2) + [1, 0]
            : [3, 3] + random + [0, 0xC0, 0x2F, 0]
        return T.handshake(type, body)
    }

    /// The connection as flights in wire order: (bytes, direction).
    static func flights() throws -> [([UInt8], Direction)] {
        var (c1, s1) = sealers(first)
        var (c2, s2) = sealers(second)
        let finished = T.handshake(20, Array(repeating: 0xEE, count: 12))
        return [
            (T.record(22, hello(1, random: first.client)), .client),
            (T.record(22, hello(2, random: first.server)), .server),
            (T.record(20, [1]) + (try c1.seal(22, finished)), .client),
            (T.record(20, [1]) + (try s1.seal(22, finished)), .server),
            (try c1.seal(23, Array("GET /a HTTP/1.1\r\nHost: a\r\n\r\n".utf8)), .client),
            (try s1.seal(23, Array("HTTP/1.1 204 No Content\r\n\r\n".utf8)) + (try s1.seal(22, T.handshake(0, []))), .server),  // HelloRequest
            (try c1.seal(22, hello(1, random: second.client)), .client),
            (try s1.seal(22, hello(2, random: second.server)), .server),
            (try c1.seal(20, [1]) + (try c2.seal(22, finished)), .client),
            (try s1.seal(20, [1]) + (try s2.seal(22, finished)), .server),
            (try c2.seal(23, Array("GET /b HTTP/1.1\r\nHost: a\r\n\r\n".utf8)), .client),
            (try s2.seal(23, Array("HTTP/1.1 204 No Content\r\n\r\n".utf8)), .server),
        ]
    }

    /// Plaintexts per direction and anomalies; `revealAt` flights in, the second line is written.
    func decrypt(revealAt: Int?, byteByByte: Bool) throws -> (client: String, server: String, anomalies: [String]) {
        let log = Log(revealed: revealAt == 0)
        var decryptor = TLSDecryptor(secrets: log)
        var events: [TLSDecryptor.Event] = []
        for (index, (bytes, direction)) in try Self.flights().enumerated() {
            if index == revealAt { log.revealed.withLock { $0 = true } }
            if byteByByte {
                for i in bytes.indices { events += decryptor.receive(bytes[i...i], from: direction) }
            } else {
                events += decryptor.receive(bytes[...], from: direction)
            }
        }
        events += decryptor.finish()
        return (TLSLateSecretTests.plaintexts(events, .client).joined(), TLSLateSecretTests.plaintexts(events, .server).joined(), TLSLateSecretTests.anomalies(events))
    }

    func testTheSecondHandshakesKeysTakeOverAtEachChangeCipherSpec() throws {
        // From the start; written after the client's ChangeCipherSpec (flight 8) and after the server's (flight 9).
        for revealAt in [0, 9, 10] {
            for byteByByte in [false, true] {
                let result = try decrypt(revealAt: revealAt, byteByByte: byteByByte)
                XCTAssertEqual(result.client, "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n", "revealed at \(revealAt), byte by byte \(byteByByte)")
                XCTAssertEqual(result.server, "HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")
                XCTAssertEqual(result.anomalies, [])
            }
        }
    }

    func testWithoutTheSecondLineTheAnomalyNamesTheRenegotiation() throws {
        let result = try decrypt(revealAt: nil, byteByByte: false)
        XCTAssertEqual(result.client, "GET /a HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(result.anomalies.count, 2)
        XCTAssertTrue(result.anomalies.allSatisfy { $0.hasPrefix("the key log has no CLIENT_RANDOM for the renegotiation's client random \(TLSKeyLog.hexString(Self.second.client))") }, "\(result.anomalies)")
    }
}
