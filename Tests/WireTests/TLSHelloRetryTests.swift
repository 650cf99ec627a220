import TestSupport
import TrafficModel
import XCTest
@testable import Wire

/// A HelloRetryRequest (RFC 8446 §4.1.4): the server asks for another key
/// share, sends a ChangeCipherSpec for middleboxes (§D.4), and the real
/// ServerHello follows the second ClientHello. The plaintext records before
/// it must not hold the hellos up; the first ClientHello's random names the
/// connection in the key log (the second keeps it).
final class TLSHelloRetryTests: XCTestCase {
    typealias T = TLSRecordLayerTests

    func testTheServerHelloAfterARetryIsRead() {
        let random = Array(repeating: UInt8(7), count: 32)
        let clientHello = T.record(22, T.clientHello(random: random, sni: "staging.example.com", alpn: []))
        let retryBody: [UInt8] = [3, 3] + TLSServerHello.helloRetryRequestRandom + [0, 0x13, 0x02, 0] + T.vector([0, 43, 0, 2, 3, 4], lengthBytes: 2)
        let retry = T.record(22, T.handshake(2, retryBody))
        let serverHello = TLSResumptionTests.serverHello(sessionID: [], tls13: true, psk: false)
        let log = TLSKeyLog(parsing: ["CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET"].map {
            "\($0) \(TLSKeyLog.hexString(random)) \(String(repeating: "ab", count: 32))"
        }.joined(separator: "\n"))
        for byteByByte in [false, true] {
            var decryptor = TLSDecryptor(secrets: log)
            var events: [TLSDecryptor.Event] = []
            for (bytes, direction) in [(clientHello, Direction.client), (retry + T.record(20, [1]), .server), (T.record(20, [1]) + clientHello, .client), (serverHello, .server)] {
                if byteByByte {
                    for i in bytes.indices { events += decryptor.receive(bytes[i...i], from: direction) }
                } else {
                    events += decryptor.receive(bytes[...], from: direction)
                }
            }
            events += decryptor.finish()
            XCTAssertEqual(decryptor.info.version, "tls1.3", "byte by byte: \(byteByByte)")
            XCTAssertEqual(decryptor.info.cipherSuite, "TLS_AES_128_GCM_SHA256")
            XCTAssertEqual(decryptor.info.sni, "staging.example.com")
            XCTAssertEqual(decryptor.clientRandom, random)
            XCTAssertEqual(TLSLateSecretTests.anomalies(events), [])
        }
    }
}
