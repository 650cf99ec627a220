import Foundation
import TestSupport
import TrafficModel
import XCTest
@testable import Wire

/// Resumed handshakes as the hellos show them: TLS 1.2 echoes the client's
/// session ID (RFC 5246 §7.4.1.3; also with a ticket, RFC 5077 §3.4), TLS 1.3
/// answers with pre_shared_key (RFC 8446 §4.2.11) and echoes the ID always.
/// Live resumed captures are decrypted in CaptureTests (TLSLiveCaptureTests).
final class TLSResumptionTests: XCTestCase {
    typealias T = TLSRecordLayerTests

    static func clientHello(sessionID: [UInt8], ticket: [UInt8] = []) -> [UInt8] {
        let extensions: [UInt8] = ticket.isEmpty ? [] : [0, 35] + T.vector(ticket, lengthBytes: 2)  // SessionTicket
        let body: [UInt8] = [3, 3] + Array(repeating: 0, count: 32) + T.vector(sessionID, lengthBytes: 1)
            + T.vector([0x13, 0x01, 0xC0, 0x2F], lengthBytes: 2) + [1, 0] + T.vector(extensions, lengthBytes: 2)
        return T.record(22, T.handshake(1, body))
    }

    static func serverHello(sessionID: [UInt8], tls13: Bool, psk: Bool) -> [UInt8] {
        var extensions: [UInt8] = []
        if tls13 { extensions += [0, 43, 0, 2, 3, 4] }  // supported_versions: TLS 1.3
        if psk { extensions += [0, 41, 0, 2, 0, 0] }  // pre_shared_key: identity 0
        let body: [UInt8] = [3, 3] + Array(1...32) + T.vector(sessionID, lengthBytes: 1)
            + (tls13 ? [0x13, 0x01] : [0xC0, 0x2F]) + [0] + T.vector(extensions, lengthBytes: 2)
        return T.record(22, T.handshake(2, body))
    }

    /// Feeds the two hellos and returns what the session would record.
    func info(client: [UInt8], server: [UInt8]) -> TLSInfo {
        var decryptor = TLSDecryptor(secrets: TLSKeyLog())
        _ = decryptor.receive(client[...], from: .client)
        _ = decryptor.receive(server[...], from: .server)
        return decryptor.info
    }

    func testResumptionIsReadFromTheHellos() {
        let id = Array(repeating: UInt8(0xAA), count: 32), other = Array(repeating: UInt8(0xBB), count: 32)
        let cases: [(String, client: [UInt8], server: [UInt8], version: String, resumed: Bool)] = [
            ("1.2 session ID echoed", id, Self.serverHello(sessionID: id, tls13: false, psk: false), "tls1.2", true),
            ("1.2 a new session ID", id, Self.serverHello(sessionID: other, tls13: false, psk: false), "tls1.2", false),
            ("1.2 no session ID", [], Self.serverHello(sessionID: [], tls13: false, psk: false), "tls1.2", false),
            ("1.3 PSK accepted", id, Self.serverHello(sessionID: id, tls13: true, psk: true), "tls1.3", true),
            ("1.3 ID echoed, no PSK", id, Self.serverHello(sessionID: id, tls13: true, psk: false), "tls1.3", false),
        ]
        for (name, clientID, server, version, resumed) in cases {
            let info = info(client: Self.clientHello(sessionID: clientID), server: server)
            XCTAssertEqual(info.version, version, name)
            XCTAssertEqual(info.resumed, resumed, name)
            XCTAssertEqual(info.summary.hasSuffix(" resumed"), resumed, name)
        }
    }

    /// No key-log line, but a session the capture decrypted earlier.
    struct CacheOnly: TLSSecretSource {
        let sessionCache: TLSSessionCache?
        func secrets(forClientRandom random: [UInt8]) -> TLSKeyLog.Secrets? { nil }
    }

    /// A resumed TLS 1.2 connection without its CLIENT_RANDOM line takes the
    /// master secret remembered for its ticket or session ID; a full handshake
    /// (the server declined the ticket) never does.
    func testTheSessionCacheKeysOnlyAnAbbreviatedHandshake() {
        let id = Array(repeating: UInt8(0xAA), count: 32), ticket = Array(repeating: UInt8(0x7E), count: 40)
        let cases: [(String, key: TLSResumptionKey, client: [UInt8], server: [UInt8], keyed: Bool)] = [
            ("ticket, resumed", .ticket(ticket), Self.clientHello(sessionID: id, ticket: ticket), Self.serverHello(sessionID: id, tls13: false, psk: false), true),
            ("session ID, resumed", .sessionID(id), Self.clientHello(sessionID: id), Self.serverHello(sessionID: id, tls13: false, psk: false), true),
            ("ticket declined", .ticket(ticket), Self.clientHello(sessionID: id, ticket: ticket), Self.serverHello(sessionID: [1, 2], tls13: false, psk: false), false),
        ]
        for (name, key, client, server, keyed) in cases {
            let cache = TLSSessionCache()
            cache.remember(masterSecret: Array(repeating: 0x11, count: 48), for: key)
            var decryptor = TLSDecryptor(secrets: CacheOnly(sessionCache: cache))
            _ = decryptor.receive(client[...], from: .client)
            _ = decryptor.receive(server[...], from: .server)
            let anomalies = decryptor.finish().compactMap { if case .anomaly(let a) = $0 { a.detail } else { nil } }
            XCTAssertEqual(anomalies.isEmpty, keyed, "\(name): \(anomalies)")
        }
    }

    /// Every proper prefix of a ServerHello with extensions is an error, never a crash.
    func testEveryPrefixOfAResumingServerHelloIsAnError() throws {
        let record = Self.serverHello(sessionID: Array(repeating: 0xAA, count: 32), tls13: true, psk: true)
        let body = Array(record[(5 + 4)...])
        let hello = try TLSServerHello(parsing: body)
        XCTAssertTrue(hello.acceptedPSK)
        XCTAssertEqual(hello.version, 0x0304)
        for cut in 0..<body.count where cut != 2 + 32 + 33 + 2 + 1 {  // ending before the extensions is a valid hello
            XCTAssertThrowsError(try TLSServerHello(parsing: Array(body[..<cut])), "cut at \(cut)")
        }
    }

    /// The recording keeps `resumed` only when true, so recordings from before are unchanged.
    func testResumedIsWrittenOnlyWhenTrue() throws {
        func encoded(_ tls: TLSInfo) -> String {
            var session = Session(id: "s1", client: Endpoint(host: "127.0.0.1", port: 50000), server: Endpoint(host: "127.0.0.1", port: 443), start: 0)
            session.tls = tls
            return RecordingCodec.encode(Recording(source: Source(kind: .pcapFile, name: "t", tool: "test"), capturedAt: Timestamp(microseconds: 0), sessions: [session]))
        }
        XCTAssertFalse(encoded(TLSInfo(version: "tls1.2")).contains("resumed"))
        let resumed = encoded(TLSInfo(version: "tls1.2", resumed: true))
        XCTAssertTrue(resumed.contains("\"resumed\": true"), resumed)
        XCTAssertEqual(try RecordingCodec.decode(Array(resumed.utf8)).sessions.first?.tls?.resumed, true)
    }

    /// The fuzz-tls seeds for the abbreviated handshakes reach it: fed as the
    /// target feeds them (first byte: start direction and chunk size, chunks
    /// alternating), the session comes out resumed.
    /// Feeds a fuzz-tls seed as the target does: first byte, start direction
    /// and chunk size; chunks alternating.
    static func feed(seed: String, secrets: any TLSSecretSource) throws -> (decryptor: TLSDecryptor, events: [TLSDecryptor.Event]) {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: Corpus.packageRoot + "/Fuzz/Corpus/fuzz-tls/" + seed), seed)
        return feed(Array(data), secrets: secrets)
    }

    static func feed(_ bytes: [UInt8], secrets: any TLSSecretSource) -> (decryptor: TLSDecryptor, events: [TLSDecryptor.Event]) {
        guard !bytes.isEmpty else { return (TLSDecryptor(secrets: secrets), []) }
        var direction: Direction = bytes[0] & 1 == 0 ? .client : .server
        let chunk = Int(bytes[0] >> 1) + 1
        var decryptor = TLSDecryptor(secrets: secrets)
        var events: [TLSDecryptor.Event] = []
        var start = 1
        while start < bytes.count {
            let end = min(start + chunk, bytes.count)
            events += decryptor.receive(bytes[start..<end], from: direction)
            start = end
            direction = direction.reversed
        }
        events += decryptor.finish()
        return (decryptor, events)
    }

    func testTheFuzzSeedsReachTheResumedHandshake() throws {
        // As the fuzz target's FuzzSecrets: a session cache that knows the session ID 32 x 0xAA.
        let cache = TLSSessionCache()
        cache.remember(masterSecret: Array(repeating: 0x11, count: 48), for: .sessionID(Array(repeating: 0xAA, count: 32)))
        for (seed, version) in [("tls12-session-id-resumed", "tls1.2"), ("tls13-psk-resumed", "tls1.3"), ("tls12-session-id-resumed-from-cache", "tls1.2")] {
            let (decryptor, events) = try Self.feed(seed: seed, secrets: CacheOnly(sessionCache: cache))
            XCTAssertEqual(decryptor.info.version, version, seed)
            XCTAssertTrue(decryptor.info.resumed, seed)
            if seed.hasSuffix("from-cache") {
                // Keyed from the cache: the seed's made-up Finished then fails authentication, which is past the lookup.
                let details = TLSLateSecretTests.anomalies(events)
                XCTAssertTrue(details.contains { $0.contains("failed authentication") }, "\(details)")
                XCTAssertFalse(details.contains { $0.contains("no key for client random") }, "\(details)")
            }
        }
    }

    /// The seeds Fuzz/Scripts/tls-seeds.py seals with the target's key log
    /// decrypt with it: the fuzzer starts past record decryption, in a
    /// renegotiation and in accepted 0-RTT data without its key.
    func testTheSealedFuzzSeedsDecryptWithTheTargetsKeyLog() throws {
        let log = TLSMutationTests.FuzzSecrets.log
        let renegotiation = try Self.feed(seed: "tls12-renegotiation", secrets: log)
        XCTAssertEqual(TLSLateSecretTests.plaintexts(renegotiation.events, .client).joined(), "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n")
        XCTAssertEqual(TLSLateSecretTests.plaintexts(renegotiation.events, .server).count, 2)
        // The zero padding that fills the last chunks is a bad record at the streams' ends, nothing else.
        XCTAssertTrue(TLSLateSecretTests.anomalies(renegotiation.events).allSatisfy { $0.contains("is not a TLS record header") }, "\(TLSLateSecretTests.anomalies(renegotiation.events))")

        let early = try Self.feed(seed: "tls13-early-data-no-key", secrets: log)
        XCTAssertEqual(TLSLateSecretTests.plaintexts(early.events, .client), ["GET /after HTTP/1.1\r\nHost: a\r\n\r\n"])
        XCTAssertTrue(TLSLateSecretTests.anomalies(early.events).contains { $0.contains("0-RTT early data, but the key log has no CLIENT_EARLY_TRAFFIC_SECRET") }, "\(TLSLateSecretTests.anomalies(early.events))")
        XCTAssertTrue(early.decryptor.info.resumed)
    }
}
