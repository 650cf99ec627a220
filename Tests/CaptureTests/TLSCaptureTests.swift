import Foundation
import TestSupport
import TrafficModel
import Wire
import XCTest
@testable import Capture

/// The public TLS 1.2 captures with their key logs decrypt to what tshark
/// shows (`tshark -r X -o tls.keylog_file:Y -Y http.request`); a missing or
/// wrong key is an anomaly on a kept session, never a crash; the record layer
/// gives the same plaintext however the streams are cut.
final class TLSCaptureTests: XCTestCase {
    static let small = "zeek_tls12-decryption"
    static let stream = "zeek_tls-1.2-stream-keylog"

    /// tshark 4's decrypted view of zeek_tls-1.2-stream-keylog: the 16 request targets and their statuses.
    static let streamTargets = [
        "/assets/akwa/v24/js/akwa.js?.ltc.c61e84978682308f631c",
        "/assets/heise/images/mit_technology_review_singleline.b768.ltc.svg",
        "/assets/heise/hobell/css/hobell.css?.ltc.3746e7e49abafa23b5fb",
        "/assets/components/images/heise-jobs-module-desktop-top-left.svg",
        "/icons/svg/logos/svg/mac.svg",
        "/icons/svg/logos/svg/heise_online.svg",
        "/assets/heise/images/ix.bde1.ltc.svg",
        "/assets/heise/images/mit_technology_review.2271.ltc.svg",
        "/icons/ho/favicon/favicon-32x32.png",
        "/assets/akwa/v24/js/akwa.js?.ltc.c61e84978682308f631c",
        "/icons/common-icons.svg",
        "/icons/svg/logos/svg/heise_online.svg",
        "/icons/svg/logos/svg/make.svg",
        "/icons/svg/logos/svg/heise_autos.svg",
        "/assets/heise/images/chevron-right.ab1a.ltc.svg",
        "/assets/heise/images/telepolis.a680.ltc.svg",
    ]
    static let streamStatuses = [200, 200, 200, 200, 200, 200, 200, 200, 200, 304, 200, 200, 200, 200, 200, 304]

    func keyLog(_ name: String) throws -> TLSKeyLog {
        let path = try Corpus.requireCapture(name + ".keylog")
        return TLSKeyLog(parsing: try String(contentsOfFile: path, encoding: .utf8))
    }

    /// Imports a capture in memory as `authreplay import --keylog` does.
    func importCapture(_ name: String, secrets: (any TLSSecretSource)?) throws -> [Session] {
        var source = try PcapFileSource(path: try Corpus.requireCapture(name + ".pcap"))
        var options = CaptureOptions()
        options.tlsSecrets = secrets
        var processor = CaptureProcessor(linkType: source.linkType, options: options)
        var sessions: [Session] = []
        while let packet = try source.next() { sessions += processor.process(packet.data, at: packet.timestamp) }
        sessions += processor.finish(truncated: false)
        let recording = Recording(source: Source(kind: .pcapFile, name: name, tool: "test"), capturedAt: processor.capturedAt ?? Timestamp(microseconds: 0), sessions: sessions)
        XCTAssertEqual(try RecordingCodec.decode(RecordingCodec.encodeBytes(recording)), recording, "\(name) reads back as written")
        return sessions
    }

    func testTheSharedKeyLogCapturesDecryptToTsharksRequests() throws {
        let small = try importCapture(Self.small, secrets: try keyLog(Self.small))
        XCTAssertEqual(small.count, 1)
        XCTAssertEqual(small.first?.exchanges.map(\.request.target), ["/"])
        XCTAssertEqual(small.first?.exchanges.map { $0.response?.status }, [301])
        XCTAssertEqual(small.first?.tls, TLSInfo(version: "tls1.2", cipherSuite: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", sni: "heise.de", alpn: "http/1.1"))
        XCTAssertEqual(small.first?.anomalies, [])

        let stream = try importCapture(Self.stream, secrets: try keyLog(Self.stream))
        XCTAssertEqual(stream.count, 1)
        let session = try XCTUnwrap(stream.first)
        XCTAssertEqual(session.exchanges.map(\.request.method), Array(repeating: "GET", count: 16))
        XCTAssertEqual(session.exchanges.map(\.request.target), Self.streamTargets)
        XCTAssertEqual(session.exchanges.map { $0.response?.status }, Self.streamStatuses)
        XCTAssertEqual(session.tls?.sni, "www.heise.de")
        XCTAssertEqual(session.anomalies, [])
        XCTAssertEqual(session.end?.kind, .closed)
    }

    func testWithoutItsKeyAConnectionIsAnOpaqueTLSSessionNamingItsClientRandom() throws {
        // The other capture's log: keys, but not for this connection.
        let sessions = try importCapture(Self.small, secrets: try keyLog(Self.stream))
        let session = try XCTUnwrap(sessions.first)
        XCTAssertEqual(sessions.count, 1)
        XCTAssertEqual(session.exchanges, [])
        XCTAssertEqual(session.tls?.sni, "heise.de")
        XCTAssertEqual(session.tls?.version, "tls1.2")
        XCTAssertEqual(session.server.port, 443)
        XCTAssertEqual(session.anomalies.map(\.kind), [.tlsUndecryptable])
        XCTAssertEqual(
            session.anomalies.first?.detail,
            "no key for client random 4d98940fb40a244b48e42eac287144b1b7393057caa131f961a78e38b0e77c1e (CLIENT_RANDOM) in the key log")
        XCTAssertNotNil(session.end)

        // Without --keylog at all, TLS connections are left out as before.
        XCTAssertEqual(try importCapture(Self.small, secrets: nil), [])
    }

    func testAWrongKeyIsADecryptionFailureNotACrash() throws {
        let random = "4d98940fb40a244b48e42eac287144b1b7393057caa131f961a78e38b0e77c1e"
        let wrong = TLSKeyLog(parsing: "CLIENT_RANDOM \(random) \(String(repeating: "5a", count: 48))\n")
        let session = try XCTUnwrap(try importCapture(Self.small, secrets: wrong).first)
        XCTAssertEqual(session.exchanges, [])
        XCTAssertEqual(session.anomalies.map(\.kind), [.tlsUndecryptable, .tlsUndecryptable])
        XCTAssertEqual(Set(session.anomalies.compactMap(\.direction)), [.client, .server])
        XCTAssertTrue(session.anomalies.allSatisfy { $0.detail.contains("failed authentication") }, "\(session.anomalies)")
    }

    // MARK: - The record layer however the streams are cut

    /// The in-order stream chunks of a capture's one connection, as reassembly delivers them.
    func streamChunks(_ name: String) throws -> [(Direction, [UInt8])] {
        var source = try PcapFileSource(path: try Corpus.requireCapture(name + ".pcap"))
        var reassembler = TCPReassembler()
        var chunks: [(Direction, [UInt8])] = []
        func take(_ events: [TCPEvent]) {
            for case .data(_, let direction, let bytes, _) in events { chunks.append((direction, Array(bytes))) }
        }
        while let packet = try source.next() {
            if case .tcp(let segment) = try PacketDecoder.decode(Array(packet.data), linkType: source.linkType) {
                take(reassembler.process(segment, at: packet.timestamp))
            }
        }
        take(reassembler.finish())
        return chunks
    }

    struct Decrypted: Equatable {
        var plaintext = DirectionPair<[UInt8]>(repeating: [])
        var anomalies: [String] = []

        mutating func add(_ events: [TLSDecryptor.Event]) {
            for event in events {
                switch event {
                case .plaintext(let direction, let bytes): plaintext[direction] += bytes
                case .anomaly(let anomaly): anomalies.append("\(anomaly.kind.rawValue) \(anomaly.direction?.rawValue ?? "-")")
                }
            }
        }

        static func == (a: Decrypted, b: Decrypted) -> Bool {
            a.plaintext.client == b.plaintext.client && a.plaintext.server == b.plaintext.server && a.anomalies == b.anomalies
        }
    }

    func decrypt(_ chunks: [(Direction, [UInt8])], secrets: TLSKeyLog, pieces: (Int) -> Int) -> Decrypted {
        var decryptor = TLSDecryptor(secrets: secrets)
        var result = Decrypted()
        for (direction, bytes) in chunks {
            var i = 0
            while i < bytes.count {
                let n = min(bytes.count - i, max(1, pieces(bytes.count - i)))
                result.add(decryptor.receive(bytes[i..<i + n], from: direction))
                i += n
            }
        }
        result.add(decryptor.finish())
        return result
    }

    func testDripFedAndRandomlyCutStreamsDecryptTheSame() throws {
        for name in [Self.small, Self.stream] {
            let chunks = try streamChunks(name)
            let secrets = try keyLog(name)
            let whole = decrypt(chunks, secrets: secrets) { $0 }
            XCTAssertEqual(whole.anomalies, [], name)
            XCTAssertTrue(whole.plaintext.client.starts(with: Array("GET /".utf8)), name)
            XCTAssertTrue(whole.plaintext.server.starts(with: Array("HTTP/1.1 ".utf8)), name)
            var random = SplitMix64(seed: 0x7151)
            XCTAssertTrue(decrypt(chunks, secrets: secrets) { _ in random.int(1...700) } == whole, "\(name): random pieces")
            if name == Self.small {
                XCTAssertTrue(decrypt(chunks, secrets: secrets) { _ in 1 } == whole, "\(name): byte by byte")
            }
        }
    }

    /// Every prefix of the connection (both directions, in capture order)
    /// decrypts to a prefix of the whole plaintext, and ends in at most a
    /// truncation anomaly: never a crash, never bytes that were not sent.
    func testEveryPrefixDecryptsToAPrefix() throws {
        let chunks = try streamChunks(Self.small)
        let secrets = try keyLog(Self.small)
        let whole = decrypt(chunks, secrets: secrets) { $0 }
        let total = chunks.reduce(0) { $0 + $1.1.count }
        for cut in 0..<total {
            var left = cut
            var prefix: [(Direction, [UInt8])] = []
            for (direction, bytes) in chunks where left > 0 {
                prefix.append((direction, Array(bytes.prefix(left))))
                left -= min(left, bytes.count)
            }
            let partial = decrypt(prefix, secrets: secrets) { $0 }
            XCTAssertTrue(whole.plaintext.client.starts(with: partial.plaintext.client), "cut \(cut)")
            XCTAssertTrue(whole.plaintext.server.starts(with: partial.plaintext.server), "cut \(cut)")
            XCTAssertTrue(Set(partial.anomalies).isSubset(of: ["truncated client", "truncated server", "tls-undecryptable -"]), "cut \(cut): \(partial.anomalies)")
        }
    }
}
