import Foundation
import TestSupport
import TrafficModel
import XCTest
@testable import Capture

/// The third-party HAR exports in ../shared/captures (mitmproxy's test data:
/// Chrome, Firefox, Safari, Charles, Insomnia and mitmproxy itself) import
/// without crashing and agree with the folder's README table.
final class HARCorpusTests: XCTestCase {
    func load(_ name: String) throws -> [UInt8] {
        let path = try Corpus.requireCapture(name)
        return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    func importFile(_ name: String) throws -> HARImport {
        let result = try HARImporter().importHAR(try load(name), name: name)
        XCTAssertEqual(try RecordingCodec.decode(RecordingCodec.encodeBytes(result.recording)), result.recording, name)
        return result
    }

    func testEveryHARFileImportsOrFailsClearly() throws {
        let hars = try Corpus.captureNames(endingIn: [".har"])
        XCTAssertGreaterThanOrEqual(hars.count, 16)
        for name in hars {
            let bytes = try load(name)
            XCTAssertTrue(HARImporter.looksLikeHAR(bytes.prefix(64)), name)
            do {
                let result = try HARImporter().importHAR(bytes, name: name)
                XCTAssertEqual(result.statistics.invalidEntries, 0, name)
                XCTAssertEqual(result.statistics.exchanges, result.statistics.entries, "\(name): every entry is an exchange")
                // Redaction (on by default in `import`) runs over every session.
                _ = Redactor().redact(result.recording)
            } catch {
                XCTAssertEqual(name, "mitmproxy_brokenfile.har", "\(name): \(error)")
                XCTAssertEqual(error.code, .malformedJSON)
                XCTAssertTrue(error.reason.contains("line 5, column 1"), error.reason)
            }
        }
    }

    func testMitmproxyWebSocketExport() throws {
        let r = try importFile("mitmproxy_websocket.har").recording
        XCTAssertEqual(r.sessions.count, 3)
        XCTAssertTrue(r.sessions.allSatisfy { $0.exchanges.count == 1 && $0.exchanges[0].isWebSocketUpgrade && $0.websocket != nil })
        let messages = r.sessions.flatMap { $0.websocket?.messages ?? [] }
        XCTAssertEqual(messages.filter { $0.direction == .server }.count, 3)
        XCTAssertEqual(messages.filter { $0.direction == .client }.count, 2)
        XCTAssertTrue(messages.allSatisfy { $0.opcode == .text })
        XCTAssertTrue(messages.contains { $0.payload.text == "{\"error\":\"Unknown api key\"}" })
        XCTAssertTrue(r.sessions.allSatisfy { $0.end?.kind == .cut }, "no close frames in the export")
        XCTAssertTrue(r.sessions.contains { $0.auth.contains { $0.location == "query:api_key" && $0.scheme == .token } })
        XCTAssertEqual(r.sessions[0].server, Endpoint(host: "143.244.202.177", port: 443))
    }

    func testBrowserExports() throws {
        let chrome = try importFile("mitmproxy_chrome.har")
        XCTAssertEqual(chrome.statistics.failedRequests, 1)
        let versions = chrome.recording.sessions.map { $0.exchanges[0].request.version }
        XCTAssertEqual(Set(versions), ["HTTP/2", "HTTP/1.1", "HTTP/3"])
        XCTAssertTrue(chrome.recording.sessions.flatMap(\.anomalies).contains { $0.kind == .upstreamError && $0.detail.contains("ERR_INTERNET_DISCONNECTED") })
        for session in chrome.recording.sessions {
            XCTAssertFalse(session.exchanges[0].request.headers.contains { $0.name.hasPrefix(":") })
            XCTAssertNotNil(session.exchanges[0].request.headers.first("Host"))
        }
        let safari = try importFile("mitmproxy_safari.har")
        XCTAssertEqual(safari.statistics.exchanges, 19)
        XCTAssertLessThan(safari.statistics.sessions, 19, "Safari's connection ids group entries")
        XCTAssertEqual(try importFile("mitmproxy_firefox.har").statistics.exchanges, 14)
        let bom = try importFile("mitmproxy_with-bom.har").recording
        XCTAssertEqual(bom.sessions[0].exchanges[0].request.method, "POST")
        XCTAssertNotNil(try importFile("mitmproxy_postdata.har").recording.sessions[0].exchanges[0].request.body)
    }

    func testMitmproxyExportsWithAuthAndErrors() throws {
        let diff = try importFile("mitmproxy_diff_data.har").recording
        XCTAssertTrue(diff.sessions.flatMap(\.auth).contains { $0.scheme == .bearer })
        let stream = try importFile("mitmproxy_event_stream.har").recording
        XCTAssertEqual(stream.sessions.flatMap(\.auth).filter { $0.scheme == .other && $0.schemeName == "api_key" }.count, 2)
        let incomplete = try importFile("mitmproxy_incomplete_log.har")
        XCTAssertEqual(incomplete.statistics.failedRequests, 4)
        XCTAssertTrue(incomplete.recording.sessions.allSatisfy { $0.exchanges[0].response == nil && $0.anomalies.map(\.kind) == [.upstreamError] })
        let errors = try importFile("mitmproxy_error_log.har").recording
        XCTAssertEqual(errors.sessions.compactMap { $0.exchanges[0].response?.status }, [405])
        // Declared gzip and still gzip in the export: headers kept, no anomaly.
        let gzip = try importFile("mitmproxy_corrupted_gzip_body.har").recording.sessions[0]
        XCTAssertEqual(gzip.exchanges[0].response?.headers.first("Content-Encoding"), "gzip")
        let head = try importFile("mitmproxy_head-content-length.har").recording.sessions[0]
        XCTAssertNil(head.exchanges[0].response?.body)
        XCTAssertEqual(head.anomalies, [], "a HEAD response has no body to miss")
    }
}
