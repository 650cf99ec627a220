import AsyncHTTPClient
import Foundation
import XCTest

/// `staging-service` as a user runs it: the first stdout line, requests, SIGTERM.
final class StagingServiceCommandTests: XCTestCase {
    private var executable: URL? {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = runner.deletingLastPathComponent()
        // On Linux the runner is the .xctest executable; on macOS it is inside the bundle.
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("staging-service")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }

    func testPrintsTheAddressServesAndStopsOnSIGTERM() async throws {
        guard let executable else { throw XCTSkip("the staging-service executable is not built next to the tests") }
        let process = Process()
        process.executableURL = executable
        process.arguments = ["--port", "0", "--auth-failure", "http-401"]
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let firstLine = try await withDeadline(10) {
            var bytes: [UInt8] = []
            while !bytes.contains(10) {
                let chunk = stdout.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                bytes += chunk
            }
            return String(decoding: bytes.prefix { $0 != 10 }, as: UTF8.self)
        }
        XCTAssertTrue(firstLine.hasPrefix("listening on http://127.0.0.1:"), firstLine)
        let baseURL = String(firstLine.dropFirst("listening on ".count))
        let port = try XCTUnwrap(baseURL.split(separator: ":").last.flatMap { Int($0) })

        let login = try await Clients.http(
            .shared, .POST, baseURL + "/auth/token", body: #"{"username":"alice","password":"correct-horse-battery"}"#
        )
        XCTAssertEqual(login.status, 200)
        let refused = try await Clients.rawHandshake(port: port, "/ws")
        XCTAssertEqual(refused.status, 401, "--auth-failure http-401 refuses the upgrade")

        process.terminate()  // SIGTERM
        let exited = try await withDeadline(10) {
            while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
            return true
        }
        XCTAssertTrue(exited)
        XCTAssertEqual(process.terminationStatus, 0)
        let log = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(log.contains("POST /auth/token → 200"), log)
        XCTAssertTrue(log.contains("GET /ws → 401"), log)
        XCTAssertTrue(log.contains("received SIGTERM"), log)
    }
}
