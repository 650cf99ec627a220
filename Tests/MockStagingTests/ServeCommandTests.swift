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

    /// Bad signing and TLS options are usage errors (exit 2) in one line
    /// naming the option, before anything listens.
    func testSigningAndTLSOptionErrors() async throws {
        let recording = "\(TestRecordings.repositoryRoot)/recordings/auth-required.json"
        let cases: [([String], String)] = [
            (["--sign-key", "/nonexistent/key.pem"], "--sign-key /nonexistent/key.pem: no such file"),
            (["--sign-secret", "RS256:x"], "--sign-key PEM"),
            (["--sign-secret", "HS256:a", "--sign-key", "k.pem"], "not both"),
            (["--issuer", "https://idp.example.com"], "--issuer needs --sign-key or --sign-secret"),
            (["--sign-secret", "HS256:secret-of-32-bytes-or-more-0123456", "--issuer", "idp.example.com"], "--issuer must be an http(s) URL"),
            (["--tls-cert", "cert.pem"], "--tls-cert and --tls-key go together"),
        ]
        for (options, expected) in cases {
            let result = try await CLI.runOffThread(["serve", recording, "--port", "0"] + options)
            XCTAssertEqual(result.status, 2, "\(options): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(expected), "\(options): \(result.stderr)")
        }
        let missingCertificate = try await CLI.runOffThread(["serve", recording, "--port", "0", "--tls-cert", "/nonexistent/c.pem", "--tls-key", "/nonexistent/k.pem"])
        XCTAssertEqual(missingCertificate.status, 1, missingCertificate.stderr)
        XCTAssertTrue(missingCertificate.stderr.contains("--tls-cert /nonexistent/c.pem"), missingCertificate.stderr)
    }
}
