import AsyncHTTPClient
import Foundation
import TestSupport
import XCTest

/// `staging-service` as a user runs it: the first stdout line, requests, SIGTERM.
final class StagingServiceCommandTests: XCTestCase {
    func testPrintsTheAddressServesAndStopsOnSIGTERM() async throws {
        let server = try await ServerProcess.start("staging-service", ["--port", "0", "--auth-failure", "http-401"])
        let firstLine = server.firstLine
        XCTAssertTrue(firstLine.hasPrefix("listening on http://127.0.0.1:"), firstLine)
        let baseURL = try XCTUnwrap(server.baseURL)
        let port = try XCTUnwrap(baseURL.split(separator: ":").last.flatMap { Int($0) })

        let login = try await Clients.http(
            .shared, .POST, baseURL + "/auth/token", body: #"{"username":"alice","password":"correct-horse-battery"}"#
        )
        XCTAssertEqual(login.status, 200)
        let refused = try await Clients.rawHandshake(port: port, "/ws")
        XCTAssertEqual(refused.status, 401, "--auth-failure http-401 refuses the upgrade")

        let status = try await server.stop(signal: SIGTERM)
        XCTAssertEqual(status, 0)
        let log = String(decoding: server.stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(log.contains("POST /auth/token → 200"), log)
        XCTAssertTrue(log.contains("GET /ws → 401"), log)
        XCTAssertTrue(log.contains("received SIGTERM"), log)
    }
}
