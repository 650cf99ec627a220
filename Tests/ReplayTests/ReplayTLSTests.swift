import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Replay
import Synchronization
import TestSupport
import TrafficModel
import XCTest

/// Replaying against https:// targets: the staging server behind TLS with a
/// certificate from a throwaway CA made with the openssl command line
/// (swift-nio-ssl cannot generate keys; the recording proxy's tests do the same).
final class ReplayTLSTests: XCTestCase {
    func replay(against url: String, tls: ReplayTLS?, timeout: Double = 5) async throws -> ReplayReport {
        let target = try ReplayTarget(url: url)
        let plan = try ReplayPlan.build([.init(name: "staging.json", recording: StagingRecordings.loginThenWebSocket)], target: target)
        return await ReplayDriver().run(plan, options: ReplayOptions(target: target, timeout: timeout, tls: tls), now: Date().timeIntervalSince1970)
    }

    func startTLSServer() async throws -> (TestStagingServer, TestPKI) {
        let pki = try TestPKI.shared()
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(pki.certificateFile).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: pki.keyFile, format: .pem))
        )
        return (try await TestStagingServer.start(.asRecorded, tls: try NIOSSLContext(configuration: configuration)), pki)
    }

    func testTargetURLs() throws {
        let https = try ReplayTarget(url: "https://staging.example.com")
        XCTAssertEqual(https, ReplayTarget(host: "staging.example.com", port: 443, tls: true))
        XCTAssertEqual(https.authority, "staging.example.com")
        XCTAssertEqual(try ReplayTarget(url: "https://127.0.0.1:8443/").authority, "127.0.0.1:8443")
        XCTAssertEqual(try ReplayTarget(url: "wss://h:9443"), ReplayTarget(host: "h", port: 9443, tls: true))
        XCTAssertEqual(try ReplayTarget(url: "ws://h"), ReplayTarget(host: "h", port: 80))
        XCTAssertEqual(try ReplayTarget(url: "http://h:443").authority, "h:443")
        XCTAssertThrowsError(try ReplayTarget(url: "https://h:8443/api")) { error in
            XCTAssertTrue("\(error)".contains("give only https://HOST:PORT"), "\(error)")
        }
    }

    func testAnUnreadableCAFileIsAConfigurationError() {
        XCTAssertThrowsError(try ReplayTLS(caFile: "/nonexistent/ca.pem")) { error in
            XCTAssertEqual((error as? ReplayError)?.code, .tlsConfiguration)
            XCTAssertTrue("\(error)".contains("--ca-file /nonexistent/ca.pem: cannot read a PEM certificate"), "\(error)")
        }
    }

    func testReplayOverTLSPassesWithTheStagingCA() async throws {
        let (server, pki) = try await startTLSServer()
        defer { Task { await server.stop() } }
        let report = try await replay(against: server.url, tls: try ReplayTLS(caFile: pki.caFile))
        XCTAssertEqual(report.summaryLine, "2 passed, 0 failed", report.lines.joined(separator: "\n"))
        // The login and the WebSocket handshake both went through TLS, chained.
        XCTAssertEqual(server.issued.withLock { $0 }.count, 1)
        XCTAssertEqual(server.presented.withLock { $0 }, server.issued.withLock { $0 })
    }

    func testInsecureSkipsVerification() async throws {
        let (server, _) = try await startTLSServer()
        defer { Task { await server.stop() } }
        let report = try await replay(against: server.url, tls: try ReplayTLS(insecure: true))
        XCTAssertEqual(report.summaryLine, "2 passed, 0 failed", report.lines.joined(separator: "\n"))
    }

    func testAnUntrustedCertificateFailsEverySessionWithTheReason() async throws {
        let (server, _) = try await startTLSServer()
        defer { Task { await server.stop() } }
        // The system trust roots do not know the throwaway CA.
        let report = try await replay(against: server.url, tls: nil)
        XCTAssertEqual(report.summaryLine, "0 passed, 2 failed", report.lines.joined(separator: "\n"))
        let first = report.results[0].differences
        XCTAssertEqual(first.count, 1, first.joined(separator: "\n"))
        XCTAssertTrue(first[0].hasPrefix("exchange 1 (POST /auth/token): cannot connect to \(server.url): TLS handshake failed: "), first[0])
        XCTAssertTrue(first[0].contains("certificate is not trusted"), first[0])
        XCTAssertTrue(report.results[1].differences[0].contains("certificate is not trusted"), report.results[1].differences[0])
        XCTAssertEqual(server.issued.withLock { $0 }, [], "nothing went over an unverified connection")
    }

    func testATLSTargetThatSpeaksPlainHTTPFailsTheHandshake() async throws {
        let server = try await TestStagingServer.start(.asRecorded)
        defer { Task { await server.stop() } }
        let report = try await replay(against: "https://127.0.0.1:\(server.port)", tls: try ReplayTLS(insecure: true))
        XCTAssertEqual(report.summaryLine, "0 passed, 2 failed", report.lines.joined(separator: "\n"))
        let reason = report.results[0].differences.joined(separator: "\n")
        XCTAssertTrue(reason.contains("TLS handshake failed"), reason)
    }

    func testASilentServerTimesTheHandshakeOutInsteadOfHanging() async throws {
        // Accepts TCP connections and never answers the ClientHello.
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { $0.eventLoop.makeSucceededVoidFuture() }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { silent.close(promise: nil) }
        let report = try await replay(against: "https://127.0.0.1:\(silent.localAddress!.port!)", tls: try ReplayTLS(insecure: true), timeout: 0.5)
        XCTAssertEqual(report.results.map(\.verdict), [.failed, .failed])
        XCTAssertTrue(report.results[0].differences[0].hasSuffix("TLS handshake timed out after 0.5 s"), report.results[0].differences[0])
    }

    func testCLIWithCAFileAndWithInsecure() async throws {
        let (server, pki) = try await startTLSServer()
        defer { Task { await server.stop() } }
        let path = try StagingRecordings.write(StagingRecordings.loginThenWebSocket)
        defer { try? FileManager.default.removeItem(atPath: path) }

        let trusted = try await CLI.runOffThread(["replay", path, "--target", server.url, "--ca-file", pki.caFile, "--timeout", "5"])
        XCTAssertEqual(trusted.status, 0, trusted.stdout + trusted.stderr)
        XCTAssertEqual(trusted.stdout, "PASS s1\nPASS s2\n2 passed, 0 failed\n")
        XCTAssertFalse(trusted.stderr.contains("--insecure"), trusted.stderr)

        let insecure = try await CLI.runOffThread(["replay", path, "--target", server.url, "--insecure", "--timeout", "5"])
        XCTAssertEqual(insecure.status, 0, insecure.stdout + insecure.stderr)
        XCTAssertTrue(insecure.stderr.contains("warning: --insecure: the target's certificate is NOT verified"), insecure.stderr)

        let untrusted = try await CLI.runOffThread(["replay", path, "--target", server.url, "--timeout", "5"])
        XCTAssertEqual(untrusted.status, 1, untrusted.stdout + untrusted.stderr)
        XCTAssertTrue(untrusted.stdout.contains("certificate is not trusted"), untrusted.stdout)

        let plain = try await CLI.runOffThread(["replay", path, "--target", "http://127.0.0.1:9", "--insecure"])
        XCTAssertEqual(plain.status, 2)
        XCTAssertTrue(plain.stderr.contains("--ca-file and --insecure apply to https:// targets only"), plain.stderr)
        let missing = try await CLI.runOffThread(["replay", path, "--target", server.url, "--ca-file", "/nonexistent/ca.pem"])
        XCTAssertEqual(missing.status, 2, missing.stdout + missing.stderr)
        XCTAssertTrue(missing.stderr.contains("--ca-file /nonexistent/ca.pem"), missing.stderr)
    }
}
