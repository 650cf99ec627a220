import Foundation
import TestSupport
import TrafficModel
import XCTest
@testable import Capture

/// Every capture in `../shared/captures/corpus-2` imports without crashing,
/// and its HTTP request and WebSocket data message counts equal tshark's
/// (`MANIFEST.tsv`: `http_requests`, `ws_expected`), except where
/// `Self.differences` says why they legitimately differ. Those entries pin
/// what authreplay finds, so a change in either direction fails the test.
final class Corpus2ManifestTests: XCTestCase {
    static let folder = Corpus.captures + "/corpus-2"

    /// What authreplay finds where it differs from tshark, and why.
    /// `http: nil` means authreplay does not read the file at all.
    static let differences: [String: (http: Int?, reason: String)] = [
        "zeek_http-on-ssh-port_nsec.pcap": (1, "tshark decodes port 22 as SSH; the GET is HTTP by its content (zeek logs it too)"),
        "zeek_http-on-port-5432.pcap": (1, "tshark decodes port 5432 as PostgreSQL; the GET is HTTP by its content"),
        "ndpi_fuzz-2006-09-29_be.pcap": (2, "fuzzed: two requests have bytes no HTTP/1.1 parser accepts in a field name (\"H\\xF4st\"); kept as malformed-http anomalies"),
        "arkime_socks5-http-302-frag.pcap": (0, "the connection opens with a SOCKS5 handshake, not HTTP; authreplay decides from a connection's first bytes (--port keeps it)"),
        "zeek_mixed-vlan-mpls.pcap": (1, "one request is an HTTP/0.9-style `GET /` without a version; its session is kept with a malformed-http anomaly"),
        "libpcap_http_PPI.pcap": (nil, "PPI / 802.11 (link type 192) is not supported; tshark finds no request either"),
    ]

    struct Row {
        var file: String
        var kind: String
        var httpRequests: Int?
        var wsExpected: Int
    }

    static func manifest() throws -> [Row] {
        let text = try String(contentsOfFile: folder + "/MANIFEST.tsv", encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        guard let header = lines.first else { return [] }
        func column(_ name: String) throws -> Int { try XCTUnwrap(header.firstIndex(of: name), "MANIFEST.tsv has no \(name) column") }
        let (file, kind, http, ws) = (try column("file"), try column("kind"), try column("http_requests"), try column("ws_expected"))
        return lines.dropFirst().map { cells in
            Row(file: cells[file], kind: cells[kind], httpRequests: Int(cells[http]), wsExpected: Int(cells[ws]) ?? 0)
        }
    }

    /// Imports like `authreplay import`; nil when the file does not open.
    func importFile(_ name: String) throws -> (http: Int, ws: Int)? {
        let source: PcapFileSource
        do {
            source = try PcapFileSource(path: "\(Self.folder)/\(name)")
        } catch {
            return nil
        }
        var processor = CaptureProcessor(linkType: source.linkType)
        var sessions: [Session] = []
        do {
            while let packet = try source.next() { sessions += processor.process(packet.data, at: packet.timestamp) }
        } catch {
            // A damaged file: everything before the damage counts, as in `import`.
        }
        sessions += processor.finish(truncated: false)
        let messages = sessions.flatMap { $0.websocket?.messages ?? [] }
        return (sessions.reduce(0) { $0 + $1.exchanges.count }, messages.filter { $0.opcode == .text || $0.opcode == .binary }.count)
    }

    func testCountsMatchTsharkOrTheDocumentedReason() throws {
        try requireOrSkip(FileManager.default.fileExists(atPath: Self.folder + "/MANIFEST.tsv"), "\(Self.folder) is absent")
        let rows = try Self.manifest().filter { $0.kind == "capture" }
        XCTAssertGreaterThan(rows.count, 50)
        var agreeing = 0
        var readByTshark = 0
        for row in rows {
            let found = try importFile(row.file)
            if row.httpRequests != nil { readByTshark += 1 }
            XCTAssertEqual(found?.ws ?? 0, row.wsExpected, "\(row.file): WebSocket data messages")
            if let difference = Self.differences[row.file] {
                XCTAssertNotEqual(difference.http, row.httpRequests, "\(row.file): agrees with tshark now; remove it from the table")
                XCTAssertEqual(found?.http, difference.http, "\(row.file): \(difference.reason)")
                continue
            }
            guard let expected = row.httpRequests else {
                // tshark cannot read it: neither may we, or we find nothing.
                XCTAssertEqual(found?.http ?? 0, 0, row.file)
                continue
            }
            XCTAssertEqual(found?.http, expected, "\(row.file): HTTP requests (tshark \(expected))")
            if found?.http == expected { agreeing += 1 }
        }
        XCTAssertEqual(Set(Self.differences.keys).subtracting(rows.map(\.file)), [], "reasons for files the manifest does not list")
        // The bar: at least 44 of the files tshark reads agree.
        XCTAssertGreaterThanOrEqual(agreeing, 44, "\(agreeing) of \(readByTshark) files agree with tshark")
    }
}
