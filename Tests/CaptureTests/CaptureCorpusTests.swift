import Foundation
import TestSupport
import TrafficModel
import XCTest
@testable import Capture

/// Every public capture in ../shared/captures imports without crashing, and
/// for the WebSocket captures the frame counts by opcode, the masked count and
/// the close codes equal what tshark reported (the README's table).
final class CaptureCorpusTests: XCTestCase {
    static let folder = Corpus.captures

    func captures() throws -> [String] {
        try Corpus.captureNames(endingIn: [".pcap", ".pcapng"])
    }

    /// Imports a file fully in memory, the way `authreplay import` does.
    func importFile(_ name: String) throws -> (Recording, CaptureStatistics)? {
        var source: PcapFileSource
        do {
            source = try PcapFileSource(path: "\(Self.folder)/\(name)")
        } catch {
            XCTAssertEqual(error.code, .unsupportedLinkType, "\(name): \(error)")
            return nil
        }
        var processor = CaptureProcessor(linkType: source.linkType)
        var sessions: [Session] = []
        while let packet = try source.next() { sessions += processor.process(packet.data, at: packet.timestamp) }
        sessions += processor.finish(truncated: false)
        let recording = Recording(source: Source(kind: .pcapFile, name: name, tool: "test"), capturedAt: processor.capturedAt ?? Timestamp(microseconds: 0), sessions: sessions)
        // What is written must read back identically.
        XCTAssertEqual(try RecordingCodec.decode(RecordingCodec.encodeBytes(recording)), recording, name)
        return (recording, processor.statistics)
    }

    func testEveryCaptureImports() throws {
        for name in try captures() {
            guard let (recording, stats) = try importFile(name) else { continue }
            XCTAssertGreaterThan(stats.packets, 0, name)
            for session in recording.sessions {
                XCTAssertNotNil(session.end, "\(name) \(session.id) has no end")
            }
        }
    }

    struct Expected {
        var frames: [String: Int] = [:]
        var masked = 0
        var total = 0
        var closeCodes: Set<Int> = []
    }

    /// Parses the README's "WebSocket frames" cells: `cont 4, bin 2, close 2 (masked 3/10; FIN=0 4; close 1000)`.
    func expectations() throws -> [String: Expected] {
        let readme = try String(contentsOfFile: "\(Self.folder)/README.md", encoding: .utf8)
        var result: [String: Expected] = [:]
        let names = ["text": "text", "bin": "binary", "cont": "continuation", "close": "close", "ping": "ping", "pong": "pong"]
        for line in readme.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count > 4, cells[0].contains(".pcap") else { continue }
            let file = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let framesCell = cells[4]
            guard framesCell.contains("masked") else { continue }
            var expected = Expected()
            let (counts, details) = framesCell.split(separator: "(", maxSplits: 1).map(String.init).pair
            for part in counts.split(separator: ",") {
                let words = part.split(separator: " ")
                if words.count == 2, let kind = names[String(words[0])], let n = Int(words[1]) { expected.frames[kind] = n }
            }
            for detail in details.dropLast().split(separator: ";") {
                let d = detail.trimmingCharacters(in: .whitespaces)
                if d.hasPrefix("masked ") {
                    let nums = d.dropFirst(7).split(separator: "/").compactMap { Int($0) }
                    expected.masked = nums[0]
                    expected.total = nums[1]
                } else if d.hasPrefix("close ") {
                    expected.closeCodes = Set(d.dropFirst(6).split(separator: "/").compactMap { Int($0) })
                }
            }
            result[file] = expected
        }
        return result
    }

    func testWebSocketCapturesMatchTshark() throws {
        _ = try captures()
        let expectations = try expectations()
        XCTAssertGreaterThan(expectations.count, 20)
        for (file, expected) in expectations.sorted(by: { $0.key < $1.key }) {
            guard let (recording, _) = try importFile(file) else { XCTFail("\(file) did not import"); continue }
            var frames: [String: Int] = [:]
            var masked = 0
            var total = 0
            var closeCodes: Set<Int> = []
            for message in recording.sessions.flatMap({ $0.websocket?.messages ?? [] }) {
                let layout = message.frames ?? [WebSocketFrameInfo(fin: true, opcode: message.opcode, length: message.payload.count, masked: message.direction == .client)]
                for frame in layout {
                    frames[frame.opcode.rawValue, default: 0] += 1
                    total += 1
                    if frame.masked { masked += 1 }
                }
                if let code = message.closeCode { closeCodes.insert(code) }
            }
            XCTAssertEqual(frames, expected.frames, "\(file): frames by opcode")
            XCTAssertEqual(total, expected.total, "\(file): frame count")
            XCTAssertEqual(masked, expected.masked, "\(file): masked frames")
            if !expected.closeCodes.isEmpty { XCTAssertEqual(closeCodes, expected.closeCodes, "\(file): close codes") }
        }
    }
}

private extension Array where Element == String {
    var pair: (String, String) { (self.first ?? "", count > 1 ? self[1] : "") }
}
