import TestSupport
import TrafficModel
import XCTest
@testable import Wire

/// TLS 1.3 0-RTT on a PSK resumption (RFC 8446 §2.3): early data the server
/// accepted is decrypted with CLIENT_EARLY_TRAFFIC_SECRET and comes first;
/// early data it rejected is skipped as the server skipped it; accepted early
/// data without its key is an anomaly, and the rest of the client stream
/// still decrypts. Records sealed as in TLSLateSecretTests, fed whole and byte by byte.
final class TLSEarlyDataTests: XCTestCase {
    typealias T = TLSRecordLayerTests
    typealias L = TLSLateSecretTests

    /// `wrongClientHandshake`: the log's client handshake secret is not the one the records were sealed with.
    static func keyLog(early: Bool, wrongClientHandshake: Bool = false) -> TLSKeyLog {
        let random = TLSKeyLog.hexString(L.random)
        var text = ""
        for (label, secret) in L.secretsByLabel where early || label != .clientEarlyTrafficSecret {
            let logged = wrongClientHandshake && label == .clientHandshakeTrafficSecret ? secret.map { $0 ^ 1 } : secret
            text += "\(label.rawValue) \(random) \(TLSKeyLog.hexString(logged))\n"
        }
        return TLSKeyLog(parsing: text)
    }

    /// The client's first flight (ClientHello offering early_data, then 0-RTT records),
    /// the server's flight, and the client's second flight.
    static func flights(accepted: Bool) throws -> (first: [UInt8], server: [UInt8], second: [UInt8]) {
        var early = L.Sealer(.clientEarlyTrafficSecret), clientHandshake = L.Sealer(.clientHandshakeTrafficSecret)
        var clientApplication = L.Sealer(.clientTrafficSecret0)
        var serverHandshake = L.Sealer(.serverHandshakeTrafficSecret), serverApplication = L.Sealer(.serverTrafficSecret0)
        let hello: [UInt8] = [3, 3] + L.random + [0] + T.vector([0x13, 0x01], lengthBytes: 2) + [1, 0]
            + T.vector([0, 42, 0, 0], lengthBytes: 2)  // early_data
        let first = T.record(22, T.handshake(1, hello))
            + (try early.seal(23, Array("GET /early HTTP/1.1\r\nHost: a\r\n\r\n".utf8)))
            + (try early.seal(22, T.handshake(5, [])))  // EndOfEarlyData
        let encryptedExtensions = T.handshake(8, T.vector(accepted ? [0, 42, 0, 0] : [], lengthBytes: 2))
        let server = TLSResumptionTests.serverHello(sessionID: [], tls13: true, psk: true) + T.record(20, [1])
            + (try serverHandshake.seal(22, encryptedExtensions + T.handshake(20, Array(repeating: 0xAB, count: 32))))
            + (try serverApplication.seal(23, Array("HTTP/1.1 204 No Content\r\n\r\n".utf8)))
        let second = (try clientHandshake.seal(22, T.handshake(20, Array(repeating: 0xCD, count: 32))))
            + (try clientApplication.seal(23, Array("GET /after HTTP/1.1\r\nHost: a\r\n\r\n".utf8)))
        return (first, server, second)
    }

    /// Client plaintexts and anomalies, fed in flights or byte by byte.
    func decrypt(accepted: Bool, earlyKey: Bool, byteByByte: Bool, wrongClientHandshake: Bool = false) throws -> (client: [String], anomalies: [String], resumed: Bool) {
        let (first, server, second) = try Self.flights(accepted: accepted)
        var decryptor = TLSDecryptor(secrets: Self.keyLog(early: earlyKey, wrongClientHandshake: wrongClientHandshake))
        var events: [TLSDecryptor.Event] = []
        for (bytes, direction) in [(first, Direction.client), (server, .server), (second, .client)] {
            if byteByByte {
                for i in bytes.indices { events += decryptor.receive(bytes[i...i], from: direction) }
            } else {
                events += decryptor.receive(bytes[...], from: direction)
            }
        }
        events += decryptor.finish()
        let requests = L.plaintexts(events, .client).joined().components(separatedBy: "\r\n\r\n").filter { !$0.isEmpty }
        return (requests, L.anomalies(events), decryptor.info.resumed)
    }

    func testAcceptedEarlyDataIsDecryptedWithTheEarlyKey() throws {
        for byteByByte in [false, true] {
            let result = try decrypt(accepted: true, earlyKey: true, byteByByte: byteByByte)
            XCTAssertEqual(result.client, ["GET /early HTTP/1.1\r\nHost: a", "GET /after HTTP/1.1\r\nHost: a"], "byte by byte: \(byteByByte)")
            XCTAssertEqual(result.anomalies, [])
            XCTAssertTrue(result.resumed)
        }
    }

    func testRejectedEarlyDataIsSkippedAsTheServerSkippedIt() throws {
        for byteByByte in [false, true] {
            let result = try decrypt(accepted: false, earlyKey: true, byteByByte: byteByByte)
            XCTAssertEqual(result.client, ["GET /after HTTP/1.1\r\nHost: a"], "byte by byte: \(byteByByte)")
            XCTAssertEqual(result.anomalies, [])
        }
    }

    /// Skipping is not silence: when no client record ever opens after the
    /// early data (here a wrong handshake key), the end says so.
    func testClientRecordsThatNeverOpenAfterRejectedEarlyDataAreAnAnomaly() throws {
        let result = try decrypt(accepted: false, earlyKey: true, byteByByte: false, wrongClientHandshake: true)
        XCTAssertEqual(result.client, [])
        XCTAssertEqual(result.anomalies.count, 1, "\(result.anomalies)")
        XCTAssertTrue(result.anomalies.first?.contains("never opened with the handshake key") == true, "\(result.anomalies)")
    }

    func testAcceptedEarlyDataWithoutItsKeyIsAnAnomalyAndTheRestDecrypts() throws {
        for byteByByte in [false, true] {
            let result = try decrypt(accepted: true, earlyKey: false, byteByByte: byteByByte)
            XCTAssertEqual(result.client, ["GET /after HTTP/1.1\r\nHost: a"], "byte by byte: \(byteByByte)")
            XCTAssertEqual(result.anomalies.count, 1)
            XCTAssertTrue(result.anomalies.first?.contains("0-RTT early data, but the key log has no CLIENT_EARLY_TRAFFIC_SECRET") == true, "\(result.anomalies)")
        }
    }
}
