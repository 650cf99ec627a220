import AsyncHTTPClient
import Foundation
import TestSupport
import XCTest

/// `authreplay serve` as a user runs it: the first stdout line, a request, SIGTERM.
final class ServeCommandTests: XCTestCase {
    func testServePrintsTheAddressServesAndStopsOnSIGTERM() async throws {
        let server = try await ServerProcess.start("authreplay", ["serve", "\(TestRecordings.repositoryRoot)/recordings/auth-required.json", "--port", "0"])
        let firstLine = server.firstLine
        XCTAssertTrue(firstLine.hasPrefix("listening on http://127.0.0.1:"), firstLine)
        let baseURL = try XCTUnwrap(server.baseURL)

        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        let health = try await Clients.http(http, .GET, baseURL + "/__authreplay/health")
        XCTAssertEqual(health.status, 200)
        let login = try await Clients.http(http, .POST, baseURL + "/auth/token", body: #"{"username":"alice","password":"correct horse"}"#)
        XCTAssertEqual(login.status, 200)
        try await http.shutdown()

        let status = try await server.stop(signal: SIGTERM)
        XCTAssertEqual(status, 0)
        let log = String(decoding: server.stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(log.contains("POST /auth/token → 200 from "), log)
        XCTAssertTrue(log.contains("received SIGTERM"), log)
    }
}
