import Crypto
import Synchronization
import TestSupport
import TrafficModel
import XCTest
@testable import Wire

/// A live client writes CLIENT_TRAFFIC_SECRET_0 to its key log only after
/// sending Finished, so the capture can read the Finished (and the request
/// after it) before the log has the secret. The direction waits, its records
/// held, and decrypts once the secret is there; a secret that never comes is
/// an anomaly at the end. Records are sealed here with swift-crypto (RFC 8446 §5.2).
final class TLSLateSecretTests: XCTestCase {
    typealias T = TLSRecordLayerTests
    static let suite = TLSCipherSuite.suite(0x1301)!  // TLS_AES_128_GCM_SHA256
    static let random = (0..<32).map { UInt8($0 * 3) }
    static let secretsByLabel: [TLSKeyLog.Label: [UInt8]] = [
        .clientHandshakeTrafficSecret: Array(repeating: 0x21, count: 32), .serverHandshakeTrafficSecret: Array(repeating: 0x31, count: 32),
        .clientTrafficSecret0: Array(repeating: 0x41, count: 32), .serverTrafficSecret0: Array(repeating: 0x51, count: 32),
        .clientEarlyTrafficSecret: Array(repeating: 0x61, count: 32),
    ]

    /// The key log as a client writes it: the client traffic secret comes last.
    final class GrowingLog: TLSSecretSource {
        let revealed = Mutex(false)
        func secrets(forClientRandom random: [UInt8]) -> TLSKeyLog.Secrets? {
            guard random == TLSLateSecretTests.random else { return nil }
            var found = TLSLateSecretTests.secretsByLabel
            if !revealed.withLock({ $0 }) { found[.clientTrafficSecret0] = nil }
            return found
        }
    }

    /// One direction's TLS 1.3 records under one traffic secret.
    struct Sealer {
        let keys: TLSRecordCipher.Keys
        var sequence: UInt64 = 0

        init(_ label: TLSKeyLog.Label) {
            keys = TLSKeySchedule.tls13Keys(suite: TLSLateSecretTests.suite, trafficSecret: TLSLateSecretTests.secretsByLabel[label]!)
        }

        mutating func seal(_ type: UInt8, _ content: [UInt8]) throws -> [UInt8] {
            var nonce = keys.iv
            for i in 0..<8 { nonce[4 + i] ^= UInt8(truncatingIfNeeded: sequence >> (56 - 8 * UInt64(i))) }
            sequence += 1
            let length = content.count + 1 + 16
            let header: [UInt8] = [23, 3, 3, UInt8(length >> 8), UInt8(length & 0xFF)]
            let box = try AES.GCM.seal(content + [type], using: SymmetricKey(data: keys.key), nonce: AES.GCM.Nonce(data: nonce), authenticating: header)
            return header + Array(box.ciphertext) + Array(box.tag)
        }
    }

    static func serverHello() -> [UInt8] {
        let body: [UInt8] = [3, 3] + Array(repeating: 9, count: 32) + [0, 0x13, 0x01, 0] + T.vector([0, 43, 0, 2, 3, 4], lengthBytes: 2)
        return T.record(22, T.handshake(2, body))
    }

    /// Both directions up to and including the client's request; the server's answer.
    func flights() throws -> (client: [UInt8], server: [UInt8], request: [UInt8], more: [UInt8]) {
        var serverHandshake = Sealer(.serverHandshakeTrafficSecret), serverApplication = Sealer(.serverTrafficSecret0)
        var clientHandshake = Sealer(.clientHandshakeTrafficSecret), clientApplication = Sealer(.clientTrafficSecret0)
        let server = Self.serverHello() + T.record(20, [1])
            + (try serverHandshake.seal(22, T.handshake(8, [0, 0]) + T.handshake(20, Array(repeating: 0xAB, count: 32))))
            + (try serverApplication.seal(23, Array("HTTP/1.1 204 No Content\r\n\r\n".utf8)))
        let client = T.record(20, [1]) + (try clientHandshake.seal(22, T.handshake(20, Array(repeating: 0xCD, count: 32))))
        let request = try clientApplication.seal(23, Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        let more = try clientApplication.seal(23, Array("GET /again HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        return (client, server, request, more)
    }

    static func plaintexts(_ events: [TLSDecryptor.Event], _ direction: Direction) -> [String] {
        events.compactMap { if case .plaintext(direction, let bytes) = $0 { String(decoding: bytes, as: UTF8.self) } else { nil } }
    }

    static func anomalies(_ events: [TLSDecryptor.Event]) -> [String] {
        events.compactMap { if case .anomaly(let a) = $0 { a.detail } else { nil } }
    }

    func testTheClientWaitsForItsTrafficSecretAndThenDecrypts() throws {
        let (client, server, request, more) = try flights()
        let log = GrowingLog()
        var decryptor = TLSDecryptor(secrets: log)
        var events = decryptor.receive(T.clientHello(random: Self.random, sni: "a", alpn: [])[...].withRecord, from: .client)
        events += decryptor.receive(server[...], from: .server)
        events += decryptor.receive((client + request)[...], from: .client)
        XCTAssertEqual(Self.plaintexts(events, .server), ["HTTP/1.1 204 No Content\r\n\r\n"])
        XCTAssertEqual(Self.plaintexts(events, .client), [], "the request waits for CLIENT_TRAFFIC_SECRET_0")
        XCTAssertEqual(Self.anomalies(events), [])
        // The client writes the line; the next bytes find it, and both requests come out in order.
        log.revealed.withLock { $0 = true }
        events = decryptor.receive(more[...], from: .client)
        XCTAssertEqual(Self.plaintexts(events, .client), ["GET / HTTP/1.1\r\nHost: a\r\n\r\n", "GET /again HTTP/1.1\r\nHost: a\r\n\r\n"])
        XCTAssertEqual(Self.anomalies(events + decryptor.finish()), [])
    }

    /// The line is written after the connection's last bytes: the end looks once more.
    func testTheEndLooksOnceMore() throws {
        let (client, server, request, _) = try flights()
        let log = GrowingLog()
        var decryptor = TLSDecryptor(secrets: log)
        var events = decryptor.receive(T.clientHello(random: Self.random, sni: nil, alpn: [])[...].withRecord, from: .client)
        events += decryptor.receive(server[...], from: .server) + decryptor.receive((client + request)[...], from: .client)
        log.revealed.withLock { $0 = true }
        events += decryptor.finish()
        XCTAssertEqual(Self.plaintexts(events, .client), ["GET / HTTP/1.1\r\nHost: a\r\n\r\n"])
        XCTAssertEqual(Self.anomalies(events), [])
    }

    func testASecretThatNeverComesIsAnAnomalyAtTheEnd() throws {
        let (client, server, request, _) = try flights()
        var decryptor = TLSDecryptor(secrets: GrowingLog())
        var events = decryptor.receive(T.clientHello(random: Self.random, sni: nil, alpn: [])[...].withRecord, from: .client)
        events += decryptor.receive(server[...], from: .server) + decryptor.receive((client + request)[...], from: .client)
        events += decryptor.finish()
        XCTAssertEqual(Self.plaintexts(events, .client), [])
        XCTAssertEqual(Self.plaintexts(events, .server), ["HTTP/1.1 204 No Content\r\n\r\n"])
        XCTAssertEqual(Self.anomalies(events), [
            "the key log has no CLIENT_TRAFFIC_SECRET_0 for client random \(TLSKeyLog.hexString(Self.random)); the rest of the client stream is not decrypted",
        ])
    }

    /// Waiting holds at most `maxHeldBytes` of a direction: past that the
    /// direction gives up with the anomaly, before the connection ends.
    func testWaitingIsBoundedByMaxHeldBytes() throws {
        let (client, server, request, _) = try flights()
        var decryptor = TLSDecryptor(secrets: GrowingLog())
        _ = decryptor.receive(T.clientHello(random: Self.random, sni: nil, alpn: [])[...].withRecord, from: .client)
        _ = decryptor.receive(server[...], from: .server)
        XCTAssertEqual(Self.anomalies(decryptor.receive((client + request)[...], from: .client)), [])
        // Records the client sealed with a key the log never gets: only their size matters here.
        var sealer = Sealer(.clientTrafficSecret0)
        let record = try sealer.seal(23, Array(repeating: 0x61, count: 16_000))
        var given = 0, events: [TLSDecryptor.Event] = []
        while Self.anomalies(events).isEmpty, given <= TLSDecryptor.maxHeldBytes + 2 * record.count {
            events += decryptor.receive(record[...], from: .client)
            given += record.count
        }
        XCTAssertEqual(Self.anomalies(events).count, 1)
        XCTAssertTrue(Self.anomalies(events).first?.hasPrefix("the key log has no CLIENT_TRAFFIC_SECRET_0") == true, "\(Self.anomalies(events))")
        XCTAssertLessThanOrEqual(given, TLSDecryptor.maxHeldBytes + 2 * record.count)
        XCTAssertEqual(Self.anomalies(decryptor.finish()), [], "reported once")
    }

    /// The queue behind waiting: order kept across its compactions, and every
    /// byte counted, headers too, so empty records cannot pile up uncounted.
    func testHeldRecordsKeepOrderAndCountHeaders() {
        var held = TLSHeldRecords()
        var next = 0, expected = 0
        for round in 0..<5 {
            for _ in 0..<1500 {
                held.append(TLSRecord(contentType: 23, version: 0x0303, fragment: next % 3 == 0 ? [] : [UInt8(next & 0xFF)], offset: next))
                next += 1
            }
            for _ in 0..<(round == 4 ? next - expected : 1200) {
                XCTAssertEqual(held.first?.offset, expected)
                held.removeFirst()
                expected += 1
            }
        }
        XCTAssertTrue(held.isEmpty)
        XCTAssertEqual(held.bytes, 0)
        held.append(TLSRecord(contentType: 23, version: 0x0303, fragment: [], offset: 0))
        XCTAssertEqual(held.bytes, 5, "an empty record still holds its header")
    }
}

extension ArraySlice<UInt8> {
    /// A handshake message wrapped in one record.
    var withRecord: ArraySlice<UInt8> { TLSRecordLayerTests.record(22, Array(self))[...] }
}
