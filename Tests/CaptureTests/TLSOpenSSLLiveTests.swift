import Foundation
import TestSupport
import TrafficModel
import XCTest
@testable import Capture

/// TLS 1.3 features Python's ssl cannot drive, between `openssl s_server` and
/// `openssl s_client`, captured live on `lo` with the client's key log. Needs
/// root and openssl.
/// - 0-RTT: a full connection sends GET /first and keeps its session; a
///   second one resumes it and sends GET /early as early data, then GET /after.
///   `s_server` answers nothing (it cannot serve HTTP with early data on).
/// - KeyUpdate: requests between key updates of the client (`k`) and of both
///   sides (`K`), each answered by the server after them.
/// - TLS 1.2 renegotiation started by the server (`r`), with a request and
///   its answer before and after it.
final class TLSOpenSSLLiveTests: XCTestCase {
    /// A process with its stdin held open (s_server and s_client stop at its end)
    /// and its stdout and stderr collected.
    final class OpenSSL: @unchecked Sendable {
        let process = Process()
        let stdin = Pipe()
        let output = Box("")
        private let reader: Thread

        init(_ arguments: [String]) throws {
            process.executableURL = URL(fileURLWithPath: TestPKI.openssl)
            process.arguments = arguments
            let stdout = Pipe()
            process.standardInput = stdin
            process.standardOutput = stdout
            process.standardError = stdout  // s_client reports KEYUPDATE on stderr
            try process.run()
            let handle = stdout.fileHandleForReading
            reader = Thread { [output] in
                while case let data = handle.availableData, !data.isEmpty {
                    output.update { $0 += String(decoding: data, as: UTF8.self) }
                }
            }
            reader.start()
        }

        /// Writes to its stdin while it runs (a write to an exited one would be SIGPIPE for the test runner).
        func send(_ text: String) {
            guard process.isRunning else { return }
            try? stdin.fileHandleForWriting.write(contentsOf: Data(text.utf8))
        }

        /// Ends stdin and waits for the exit (bounded), killing it after the deadline.
        func finish(deadline: Double = 10) async throws {
            try? stdin.fileHandleForWriting.close()
            do {
                try await eventually(deadline) { [process] in !process.isRunning }
            } catch {
                process.terminate()
                throw error
            }
        }

        deinit { if process.isRunning { process.terminate() } }
    }

    /// A fresh key log and `openssl s_server` (with `arguments` after its
    /// certificate) listening on a port of its own.
    struct Setup {
        let pki: TestPKI
        let directory: URL
        let keyLog: String
        let server: OpenSSL
        let port: String

        static func start(server arguments: [String]) async throws -> Setup {
            try requireOrSkip(getuid() == 0, "live capture needs root; uid is \(getuid())")
            let pki = try TestPKI.shared()
            let directory = try CaptureFixtures.temporaryDirectory()
            let keyLog = directory.appendingPathComponent("keylog.txt").path
            FileManager.default.createFile(atPath: keyLog, contents: nil)
            let server = try OpenSSL(["s_server", "-accept", "127.0.0.1:0", "-cert", pki.certificateFile, "-key", pki.keyFile] + arguments)
            do {
                try await eventually(10) { server.output.value.contains("ACCEPT") }
            } catch {
                server.process.terminate()
                throw error
            }
            let port = try XCTUnwrap(server.output.value.split(separator: "\n").first { $0.hasPrefix("ACCEPT") }?.split(separator: ":").last.map(String.init))
            return Setup(pki: pki, directory: directory, keyLog: keyLog, server: server, port: port)
        }
    }

    func testEarlyDataOfAResumedConnectionDecrypts() async throws {
        let setup = try await Setup.start(server: ["-tls1_3", "-early_data", "-naccept", "2"])
        let (pki, keyLog, server, port) = (setup.pki, setup.keyLog, setup.server, setup.port)
        defer { server.process.terminate() }
        let session = setup.directory.appendingPathComponent("session.pem").path, early = setup.directory.appendingPathComponent("early.txt").path
        try Data("GET /early HTTP/1.1\r\nHost: a\r\n\r\n".utf8).write(to: URL(fileURLWithPath: early))

        let capture = try LiveKeyLogCapture(port: port, keyLog: keyLog)
        let client = ["s_client", "-connect", "127.0.0.1:\(port)", "-tls1_3", "-CAfile", pki.caFile, "-keylogfile", keyLog]
        do {
            let first = try OpenSSL(client + ["-sess_out", session])
            first.send("GET /first HTTP/1.1\r\nHost: a\r\n\r\n")
            // TLS 1.3 sends the ticket after the handshake: wait for it to be saved.
            try await eventually(10) { server.output.value.contains("GET /first") && ((try? FileManager.default.attributesOfItem(atPath: session)[.size] as? Int) ?? 0) > 0 }
            try await first.finish()
            let second = try OpenSSL(client + ["-sess_in", session, "-early_data", early])
            second.send("GET /after HTTP/1.1\r\nHost: a\r\n\r\n")
            try await eventually(10) { server.output.value.contains("GET /after") }
            try await second.finish()
            try? await eventually(10) { capture.ended.value >= 2 }
        } catch {
            _ = try? await capture.stop()
            throw error
        }
        let sessions = try await capture.stop().sorted { $0.start < $1.start }
        XCTAssertTrue(server.output.value.contains("GET /early"), "the server read the early data: \(server.output.value)")
        XCTAssertEqual(sessions.map { $0.exchanges.map(\.request.target) }, [["/first"], ["/early", "/after"]])
        XCTAssertEqual(sessions.map { $0.tls?.resumed }, [false, true])
        XCTAssertEqual(sessions.map { $0.tls?.version }, ["tls1.3", "tls1.3"])
        for session in sessions { XCTAssertEqual(session.anomalies, [], session.id) }
        let keys = try String(contentsOfFile: keyLog, encoding: .utf8)
        XCTAssertTrue(keys.contains("CLIENT_EARLY_TRAFFIC_SECRET"), "the client logged its early secret")
    }

    func testRequestsAcrossKeyUpdatesDecrypt() async throws {
        let setup = try await Setup.start(server: ["-tls1_3", "-naccept", "1"])
        let (pki, keyLog, server, port) = (setup.pki, setup.keyLog, setup.server, setup.port)
        defer { server.process.terminate() }
        let capture = try LiveKeyLogCapture(port: port, keyLog: keyLog)
        do {
            let client = try OpenSSL(["s_client", "-connect", "127.0.0.1:\(port)", "-tls1_3", "-CAfile", pki.caFile, "-keylogfile", keyLog])
            // s_client reads a line "k" as a KeyUpdate of its own keys, "K" as one that asks the server to update too.
            for (index, (path, update)) in [("/a", "k"), ("/b", "K"), ("/c", nil)].enumerated() {
                client.send("GET \(path) HTTP/1.1\r\nHost: a\r\n\r\n")
                try await eventually(10) { server.output.value.contains("GET \(path)") }
                server.send("HTTP/1.1 204 No Content\r\n\r\n")
                try await eventually(10) { client.output.value.components(separatedBy: "HTTP/1.1 204").count > index + 1 }
                if let update {
                    client.send(update + "\n")
                    try await eventually(10) { client.output.value.components(separatedBy: "KEYUPDATE").count > index + 1 }
                }
            }
            try await client.finish()
            try? await eventually(10) { capture.ended.value >= 1 }
        } catch {
            _ = try? await capture.stop()
            throw error
        }
        let sessions = try await capture.stop()
        XCTAssertEqual(sessions.count, 1)
        XCTAssertEqual(sessions.first?.exchanges.map { "\($0.request.target) \($0.response?.status ?? 0)" }, ["/a 204", "/b 204", "/c 204"])
        XCTAssertEqual(sessions.first?.anomalies, [])
    }

    /// The renegotiation's own CLIENT_RANDOM line decrypts what follows it;
    /// without it (a log of first handshakes only), the anomaly names the
    /// renegotiation's client random and what came before stays decrypted.
    func testARenegotiationStartedByTheServerDecrypts() async throws {
        for onlyFirstHandshake in [false, true] {
            let sessions = try await renegotiate(onlyFirstHandshake: onlyFirstHandshake)
            XCTAssertEqual(sessions.count, 1)
            let exchanges = sessions.first?.exchanges.map { "\($0.request.target) \($0.response?.status ?? 0)" }
            let anomalies = sessions.first?.anomalies.map(\.detail) ?? []
            if onlyFirstHandshake {
                XCTAssertEqual(exchanges, ["/a 204"])
                XCTAssertEqual(anomalies.count, 2, "\(anomalies)")
                XCTAssertTrue(anomalies.allSatisfy { $0.contains("no CLIENT_RANDOM for the renegotiation's client random") }, "\(anomalies)")
            } else {
                XCTAssertEqual(exchanges, ["/a 204", "/b 204"])
                XCTAssertEqual(anomalies, [])
            }
            XCTAssertEqual(sessions.first?.tls?.version, "tls1.2")
        }
    }

    func renegotiate(onlyFirstHandshake: Bool) async throws -> [Session] {
        let setup = try await Setup.start(server: ["-tls1_2", "-naccept", "1"])
        let (pki, keyLog, server, port) = (setup.pki, setup.keyLog, setup.server, setup.port)
        defer { server.process.terminate() }
        let capture = try LiveKeyLogCapture(port: port, keyLog: keyLog, onlyFirstConnection: onlyFirstHandshake)
        do {
            let client = try OpenSSL(["s_client", "-connect", "127.0.0.1:\(port)", "-tls1_2", "-CAfile", pki.caFile, "-keylogfile", keyLog])
            @Sendable func clientRandomLines() -> Int {
                ((try? String(contentsOfFile: keyLog, encoding: .utf8)) ?? "").components(separatedBy: "CLIENT_RANDOM").count - 1
            }
            for (index, path) in ["/a", "/b"].enumerated() {
                client.send("GET \(path) HTTP/1.1\r\nHost: a\r\n\r\n")
                try await eventually(10) { server.output.value.contains("GET \(path)") }
                server.send("HTTP/1.1 204 No Content\r\n\r\n")
                try await eventually(10) { client.output.value.components(separatedBy: "HTTP/1.1 204").count > index + 1 }
                if index == 0 {
                    server.send("r\n")  // s_server: renegotiate
                    try await eventually(10) { clientRandomLines() >= 2 }
                }
            }
            try await client.finish()
            try? await eventually(10) { capture.ended.value >= 1 }
        } catch {
            _ = try? await capture.stop()
            throw error
        }
        return try await capture.stop()
    }
}
