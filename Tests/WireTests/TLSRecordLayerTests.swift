import TestSupport
import TrafficModel
import XCTest
@testable import Wire

/// The TLS record layer's pure parts: records cut from a stream however it
/// arrives, the key log, the hellos and the TLS 1.2 PRF. Decryption of real
/// captures is tested in CaptureTests (TLSCaptureTests).
final class TLSRecordLayerTests: XCTestCase {
    static func record(_ type: UInt8, _ fragment: [UInt8], version: UInt16 = 0x0303) -> [UInt8] {
        [type, UInt8(version >> 8), UInt8(version & 0xFF), UInt8(fragment.count >> 8), UInt8(fragment.count & 0xFF)] + fragment
    }

    /// A handshake message: type, 24-bit length, body.
    static func handshake(_ type: UInt8, _ body: [UInt8]) -> [UInt8] {
        [type, UInt8(body.count >> 16), UInt8((body.count >> 8) & 0xFF), UInt8(body.count & 0xFF)] + body
    }

    static func vector(_ bytes: [UInt8], lengthBytes: Int) -> [UInt8] {
        (0..<lengthBytes).reversed().map { UInt8((bytes.count >> (8 * $0)) & 0xFF) } + bytes
    }

    static func clientHello(random: [UInt8], sni: String?, alpn: [String]) -> [UInt8] {
        var extensions: [UInt8] = []
        if let sni {
            let name = [0] + vector(Array(sni.utf8), lengthBytes: 2)
            extensions += [0, 0] + vector(vector(name, lengthBytes: 2), lengthBytes: 2)
        }
        if !alpn.isEmpty {
            let list = alpn.flatMap { vector(Array($0.utf8), lengthBytes: 1) }
            extensions += [0, 16] + vector(vector(list, lengthBytes: 2), lengthBytes: 2)
        }
        let body: [UInt8] = [3, 3] + random + [0] + vector([0x13, 0x01, 0xC0, 0x2F], lengthBytes: 2) + [1, 0] + vector(extensions, lengthBytes: 2)
        return handshake(1, body)
    }

    static let stream: [UInt8] =
        record(22, clientHello(random: Array(repeating: 7, count: 32), sni: "staging.example.com", alpn: ["h2", "http/1.1"]), version: 0x0301)
        + record(20, [1]) + record(23, Array(0..<200)) + record(21, [1, 0]) + record(23, [])

    func testRecordsAreTheSameHoweverTheStreamIsCut() throws {
        var whole = TLSRecordReader()
        whole.append(Self.stream)
        var expected: [TLSRecord] = []
        while let record = try whole.next() { expected.append(record) }
        XCTAssertEqual(expected.map(\.contentType), [22, 20, 23, 21, 23])
        XCTAssertEqual(expected.map(\.offset).first, 0)
        XCTAssertEqual(whole.bufferedByteCount, 0)

        // Every proper prefix: the records so far, never an error, the rest buffered.
        for cut in 0..<Self.stream.count {
            var reader = TLSRecordReader()
            reader.append(Self.stream[..<cut])
            var records: [TLSRecord] = []
            while let record = try reader.next() { records.append(record) }
            XCTAssertEqual(records, Array(expected.prefix(records.count)), "cut at \(cut)")
            XCTAssertEqual(records.reduce(0) { $0 + 5 + $1.fragment.count } + reader.bufferedByteCount, cut)
        }
        // Drip-fed, and in random pieces.
        var random = SplitMix64(seed: 17)
        for maxPiece in [1, 3, 64] {
            var reader = TLSRecordReader()
            var records: [TLSRecord] = []
            var i = 0
            while i < Self.stream.count {
                let n = min(Self.stream.count - i, maxPiece == 1 ? 1 : random.int(1...maxPiece))
                reader.append(Self.stream[i..<i + n])
                i += n
                while let record = try reader.next() { records.append(record) }
            }
            XCTAssertEqual(records, expected, "pieces up to \(maxPiece)")
        }
    }

    func testWhatIsNotARecordIsAnErrorThatStays() {
        var reader = TLSRecordReader()
        reader.append(Array("GET / HTTP/1.1\r\n".utf8))
        XCTAssertThrowsError(try reader.next()) { XCTAssertEqual(($0 as? WireError)?.code, .invalidTLSRecord) }
        XCTAssertThrowsError(try reader.next())

        var oversize = TLSRecordReader()
        oversize.append([23, 3, 3, 0xFF, 0xFF])
        XCTAssertThrowsError(try oversize.next()) { error in
            XCTAssertTrue("\(error)".contains("over the \(TLSRecordReader.maxFragmentLength)-byte limit"), "\(error)")
        }
    }

    func testAHelloIsRecognisedFromTheFirstBytes() {
        XCTAssertEqual(TLSRecordReader.looksLikeHello(Self.stream[...]), true)
        XCTAssertEqual(TLSRecordReader.looksLikeHello(Self.stream[..<3]), nil)
        XCTAssertEqual(TLSRecordReader.looksLikeHello(Array("GET / HTTP/1.1".utf8)[...]), false)
        XCTAssertEqual(TLSRecordReader.looksLikeHello(Self.record(23, [1, 2, 3])[...]), false)
    }

    func testTheClientHelloGivesTheRandomSNIAndALPN() throws {
        let random = (0..<32).map { UInt8($0) }
        let message = Self.clientHello(random: random, sni: "staging.example.com", alpn: ["h2", "http/1.1"])
        // Split over two records, as a large ClientHello is.
        var reader = TLSHandshakeReader()
        reader.append(Array(message[..<10]))
        XCTAssertNil(try reader.next())
        reader.append(Array(message[10...]))
        let (type, body) = try XCTUnwrap(try reader.next())
        XCTAssertEqual(type, 1)
        let hello = try TLSClientHello(parsing: body)
        XCTAssertEqual(hello.random, random)
        XCTAssertEqual(hello.serverName, "staging.example.com")
        XCTAssertEqual(hello.alpn, ["h2", "http/1.1"])
        // Every proper prefix of the body is an error, never a crash.
        for cut in 0..<body.count - 1 where cut != 32 + 2 + 1 + 6 + 2 {
            XCTAssertThrowsError(try TLSClientHello(parsing: Array(body[..<cut])), "cut at \(cut)")
        }
    }

    func testTheKeyLogKeepsTheLabelsItUsesAndCountsBadLines() {
        let random = String(repeating: "ab", count: 32)
        let log = TLSKeyLog(parsing: """
            # SSL/TLS secrets log file, generated by NSS
            CLIENT_RANDOM \(random) \(String(repeating: "01", count: 48))\r
            CLIENT_HANDSHAKE_TRAFFIC_SECRET \(random.uppercased()) \(String(repeating: "02", count: 32))
            EXPORTER_SECRET \(random) \(String(repeating: "03", count: 32))
            CLIENT_RANDOM nothex \(String(repeating: "01", count: 48))
            CLIENT_RANDOM \(random)

            """)
        let secrets = log.secrets(forClientRandom: Array(repeating: 0xAB, count: 32))
        XCTAssertEqual(secrets?[.clientRandom], Array(repeating: 1, count: 48))
        XCTAssertEqual(secrets?[.clientHandshakeTrafficSecret], Array(repeating: 2, count: 32))
        XCTAssertEqual(secrets?.count, 2)
        XCTAssertEqual(log.malformedLineCount, 2)
        XCTAssertEqual(log.malformedLines, [5, 6])
        XCTAssertEqual(TLSKeyLog.hexString([0x00, 0xAB, 0x7F]), "00ab7f")
    }

    /// The P_SHA256 test vector posted for TLS 1.2 implementers
    /// (https://mailarchive.ietf.org/arch/msg/tls/fzVCzk-z3FShgGJ6DOXqM1ydxms/).
    func testThePRFMatchesThePublishedVector() {
        let secret: [UInt8] = [0x9b, 0xbe, 0x43, 0x6b, 0xa9, 0x40, 0xf0, 0x17, 0xb1, 0x76, 0x52, 0x84, 0x9a, 0x71, 0xdb, 0x35]
        let seed: [UInt8] = [0xa0, 0xba, 0x9f, 0x93, 0x6c, 0xda, 0x31, 0x18, 0x27, 0xa6, 0xf7, 0x96, 0xff, 0xd5, 0x19, 0x8c]
        let output = TLSKeySchedule.prf(.sha256, secret: secret, label: "test label", seed: seed, count: 100)
        XCTAssertEqual(TLSKeyLog.hexString(output.prefix(16)), "e3f229ba727be17b8d122620557cd453")
        XCTAssertEqual(TLSKeyLog.hexString(output.suffix(6)), "f70187347b66")
        XCTAssertEqual(output.count, 100)
    }

    func testCipherSuitesHaveTheirIANANames() {
        XCTAssertEqual(TLSCipherSuite.name(of: 0x1301), "TLS_AES_128_GCM_SHA256")
        XCTAssertEqual(TLSCipherSuite.name(of: 0xC030), "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")
        XCTAssertEqual(TLSCipherSuite.name(of: 0x00FF), "0x00FF")
        XCTAssertNil(TLSCipherSuite.suite(0x00FF))
    }
}
