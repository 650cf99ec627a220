import Foundation
import TestSupport
import TrafficModel
import XCTest
@testable import Capture

/// A login and a wss session (JWT, permessage-deflate, an AUTH_REQUIRED close)
/// between Python's `ssl` server and client (Tests/Peers/python/tls_session.py),
/// captured live with libpcap on `lo` while the client writes its key log:
/// the decrypted recording equals the recording of the same traffic in
/// plaintext. TLS 1.3 (AES-GCM, ChaCha20-Poly1305, after a HelloRetryRequest), TLS 1.2 (AES-GCM,
/// ChaCha20-Poly1305, CBC), and session resumption (TLS 1.3 PSK, TLS 1.2
/// ticket and session ID). Needs root, python3 with aiohttp and websockets, and openssl.
final class TLSLiveCaptureTests: XCTestCase {
    static let script = Corpus.packageRoot + "/Tests/Peers/python/tls_session.py"

    func requirements() throws -> TestPKI {
        try requireOrSkip(getuid() == 0, "live capture needs root; uid is \(getuid())")
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["python3", "-c", "import aiohttp, websockets.asyncio.client"]
        probe.standardError = FileHandle.nullDevice
        try? probe.run()
        probe.waitUntilExit()
        try requireOrSkip(probe.terminationStatus == 0, "python3 with aiohttp and websockets (pip install aiohttp websockets)")
        return try TestPKI.shared()
    }

    /// Runs the client to its end on a thread of its own.
    func runClient(_ arguments: [String]) async throws {
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            Thread {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = ["python3", Self.script, "client"] + arguments
                process.standardOutput = FileHandle.nullDevice
                do {
                    try process.run()
                    process.waitUntilExit()
                    continuation.resume(returning: process.terminationStatus)
                } catch {
                    continuation.resume(throwing: error)
                }
            }.start()
        }
        XCTAssertEqual(status, 0, "client \(arguments)")
    }

    /// Serves, captures on lo, runs the client; the sessions captured.
    func capture(serve: [String], client: [String], tls: Bool, onlyFirstConnection: Bool = false) async throws -> [Session] {
        let pki = try requirements()
        let directory = try CaptureFixtures.temporaryDirectory()
        let keyLog = directory.appendingPathComponent("keylog.txt").path
        FileManager.default.createFile(atPath: keyLog, contents: nil)
        let tlsServe = tls ? ["--cert", pki.certificateFile, "--key", pki.keyFile] : []
        let server = try await ServerProcess.start(executable: URL(fileURLWithPath: "/usr/bin/env"), ["python3", Self.script, "serve", "--port", "0"] + tlsServe + serve)
        let base = try XCTUnwrap(server.baseURL)
        let port = try XCTUnwrap(base.split(separator: ":").last.map(String.init))
        let capture = try LiveKeyLogCapture(port: port, keyLog: keyLog, onlyFirstConnection: onlyFirstConnection)
        do {
            try await runClient(["--base", base] + (tls ? ["--cafile", pki.caFile, "--keylog", keyLog] : []) + client)
            try? await eventually(10) { capture.ended.value >= 2 }
        } catch {
            _ = try? await capture.stop()
            _ = try? await server.stop()
            throw error
        }
        let sessions = try await capture.stop()
        _ = try await server.stop()
        // The secrets never leave the key log: the recording holds none of its lines.
        let encoded = RecordingCodec.encode(Recording(source: Source(kind: .live, name: "lo", tool: "test"), capturedAt: Timestamp(microseconds: 0), sessions: sessions))
        for line in (try String(contentsOfFile: keyLog, encoding: .utf8)).split(separator: "\n") {
            if let secret = line.split(separator: " ").last, secret.count >= 64 { XCTAssertFalse(encoded.contains(secret), "a key-log secret reached the recording") }
        }
        return sessions
    }

    /// A session as JSON without what differs between two runs: times,
    /// endpoints, the TLS details, who closed first, and the header values
    /// that carry the port, the date or a per-connection nonce.
    static func comparable(_ sessions: [Session]) throws -> JSONValue {
        let recording = Recording(source: Source(kind: .live, name: "lo", tool: "test"), capturedAt: Timestamp(microseconds: 0), sessions: sessions)
        let volatileKeys: Set<String> = ["at", "start", "client", "server", "tls", "by", "expiresIn", "issuedAgo"]
        let volatileHeaders: Set<String> = ["host", "date", "sec-websocket-key", "sec-websocket-accept"]
        func strip(_ value: JSONValue) -> JSONValue {
            switch value {
            case .object(let members):
                return .object(members.filter { !volatileKeys.contains($0.0) }.map { ($0.0, strip($0.1)) })
            case .array(let elements):
                if elements.count == 2, case .string(let name) = elements[0], volatileHeaders.contains(name.lowercased()) {
                    return .array([elements[0], .string("-")])
                }
                return .array(elements.map(strip))
            default:
                return value
            }
        }
        let document = try JSONParser.parse(RecordingCodec.encodeBytes(recording))
        return strip(document["sessions"] ?? .null)
    }

    /// The plaintext run's comparable sessions, by the client's plaintext arguments.
    static let plaintext = Box<[[String]: JSONValue]>([:])

    /// The same client run in plaintext, captured once per test process.
    func plaintextSessions(client: [String]) async throws -> JSONValue {
        if let known = Self.plaintext.value[client] { return known }
        let sessions = try await capture(serve: [], client: client, tls: false)
        XCTAssertEqual(sessions.count, 2)
        let comparable = try Self.comparable(sessions)
        Self.plaintext.update { $0[client] = comparable }
        return comparable
    }

    /// `plaintextClient`: the client's arguments for the plaintext run (the TLS-only ones left out).
    func assertSameAsPlaintext(serve: [String], client: [String] = [], plaintextClient: [String] = [], version: String, suite: String) async throws {
        let plaintext = try await plaintextSessions(client: plaintextClient)
        let sessions = try await capture(serve: serve, client: client, tls: true)
        XCTAssertEqual(sessions.count, 2)
        for session in sessions {
            XCTAssertEqual(session.tls?.version, version)
            XCTAssertEqual(session.tls?.cipherSuite, suite)
            XCTAssertEqual(session.anomalies, [], "\(session.id)")
        }
        let ws = try XCTUnwrap(sessions.first { $0.websocket != nil })
        XCTAssertEqual(ws.websocket?.messages.count, 5)
        XCTAssertEqual(ws.websocket?.close?.code, 4401)
        XCTAssertEqual(ws.auth.first { $0.role == .presented }?.jwt?.claims["sub"]?.stringValue, "alice")
        XCTAssertEqual(try Self.comparable(sessions), plaintext, "\(version) \(suite) against plaintext")
    }

    /// Client certificates in the handshake (TLS 1.3 and 1.2); the login's
    /// connection carries a second request (GET /me) after it.
    func testClientCertificatesEqualPlaintext() async throws {
        let pki = try requirements()
        let client = ["--cert", pki.certificateFile, "--key", pki.keyFile, "--then-me"]
        try await assertSameAsPlaintext(
            serve: ["--client-ca", pki.caFile], client: client, plaintextClient: ["--then-me"], version: "tls1.3", suite: "TLS_AES_256_GCM_SHA384")
        try await assertSameAsPlaintext(
            serve: ["--client-ca", pki.caFile, "--max-version", "1.2"], client: client, plaintextClient: ["--then-me"],
            version: "tls1.2", suite: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384")
    }

    /// TLS 1.3 post-handshake client authentication (RFC 8446 §4.6.2): the
    /// server asks for the certificate with the login's answer; the client's
    /// Certificate, CertificateVerify and Finished come under its application
    /// key, and GET /me after them still decrypts (a second Finished changes no key).
    func testPostHandshakeClientAuthenticationEqualsPlaintext() async throws {
        let pki = try requirements()
        try await assertSameAsPlaintext(
            serve: ["--client-ca", pki.caFile, "--post-handshake-auth"], client: ["--cert", pki.certificateFile, "--key", pki.keyFile, "--then-me"],
            plaintextClient: ["--then-me"], version: "tls1.3", suite: "TLS_AES_256_GCM_SHA384")
    }

    /// A full handshake (POST /auth/token), then a second connection that
    /// resumes its session (GET /me with the token): both decrypt to the
    /// plaintext run's requests, and only the second is marked resumed, with
    /// the version and suite of its own (abbreviated) ServerHello.
    /// `onlyFirstConnection`: the key log's line for the resumed connection is
    /// ignored, as from a client that logs only full handshakes; TLS 1.2 then
    /// finds the master secret by the session ID or ticket of the first one.
    func assertResumptionSameAsPlaintext(serve: [String], version: String, suite: String, onlyFirstConnection: Bool = false) async throws {
        let plaintext = try await plaintextSessions(client: ["--resume"])
        let sessions = try await capture(serve: serve, client: ["--resume"], tls: true, onlyFirstConnection: onlyFirstConnection).sorted { $0.start < $1.start }
        XCTAssertEqual(sessions.count, 2)
        guard sessions.count == 2 else { return }
        XCTAssertEqual(sessions.map { $0.exchanges.map { "\($0.request.method) \($0.request.path) \($0.response?.status ?? 0)" } }, [["POST /auth/token 200"], ["GET /me 200"]])
        XCTAssertEqual(sessions.map { $0.tls?.resumed }, [false, true], "\(version): only the second connection resumes")
        for session in sessions {
            XCTAssertEqual(session.tls?.version, version)
            XCTAssertEqual(session.tls?.cipherSuite, suite)
            XCTAssertEqual(session.tls?.sni, nil, "the client connects to an IP address: no server_name")
            XCTAssertEqual(session.anomalies, [], "\(session.id)")
        }
        XCTAssertEqual(sessions[1].auth.first { $0.role == .presented }?.jwt?.claims["sub"]?.stringValue, "alice")
        XCTAssertEqual(try Self.comparable(sessions), plaintext, "\(version) resumption against plaintext")
    }

    func testTLS13EqualsPlaintext() async throws {
        try await assertSameAsPlaintext(serve: [], version: "tls1.3", suite: "TLS_AES_256_GCM_SHA384")
    }

    /// Python's ssl cannot choose a TLS 1.3 suite; the peer sets it through an OpenSSL config.
    func testTLS13ChaCha20Poly1305EqualsPlaintext() async throws {
        try await assertSameAsPlaintext(serve: ["--tls13-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"], version: "tls1.3", suite: "TLS_CHACHA20_POLY1305_SHA256")
    }

    /// The server accepts only P-384, the client's first key share is X25519: a HelloRetryRequest, then the handshake.
    func testTLS13AfterAHelloRetryRequestEqualsPlaintext() async throws {
        try await assertSameAsPlaintext(serve: ["--groups", "P-384"], version: "tls1.3", suite: "TLS_AES_256_GCM_SHA384")
    }

    func testTLS13PSKResumptionEqualsPlaintext() async throws {
        try await assertResumptionSameAsPlaintext(serve: [], version: "tls1.3", suite: "TLS_AES_256_GCM_SHA384")
    }

    /// RFC 5077: the second ClientHello carries the ticket; its CLIENT_RANDOM line holds the resumed master secret.
    func testTLS12TicketResumptionEqualsPlaintext() async throws {
        try await assertResumptionSameAsPlaintext(serve: ["--max-version", "1.2"], version: "tls1.2", suite: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384")
    }

    /// RFC 5246 §7.4.1.2: no tickets, the server's session cache resumes by session ID.
    func testTLS12SessionIDResumptionEqualsPlaintext() async throws {
        try await assertResumptionSameAsPlaintext(
            serve: ["--max-version", "1.2", "--no-tickets", "--ciphers", "ECDHE-ECDSA-CHACHA20-POLY1305"], version: "tls1.2", suite: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256")
    }

    /// A client that logs only full handshakes: the resumed connection's keys come from the first one's session.
    func testTLS12ResumptionWithoutItsOwnKeyLogLineEqualsPlaintext() async throws {
        try await assertResumptionSameAsPlaintext(
            serve: ["--max-version", "1.2"], version: "tls1.2", suite: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", onlyFirstConnection: true)
        try await assertResumptionSameAsPlaintext(
            serve: ["--max-version", "1.2", "--no-tickets"], version: "tls1.2", suite: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", onlyFirstConnection: true)
    }

    func testTLS12AESGCMEqualsPlaintext() async throws {
        try await assertSameAsPlaintext(serve: ["--max-version", "1.2", "--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256"], version: "tls1.2", suite: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")
    }

    func testTLS12ChaCha20Poly1305EqualsPlaintext() async throws {
        try await assertSameAsPlaintext(serve: ["--max-version", "1.2", "--ciphers", "ECDHE-ECDSA-CHACHA20-POLY1305"], version: "tls1.2", suite: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256")
    }

    /// CBC with encrypt-then-MAC (RFC 7366, OpenSSL's default) and without it (MAC-then-encrypt).
    func testTLS12CBCEqualsPlaintext() async throws {
        try await assertSameAsPlaintext(serve: ["--max-version", "1.2", "--ciphers", "ECDHE-ECDSA-AES256-SHA384"], version: "tls1.2", suite: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384")
        try await assertSameAsPlaintext(
            serve: ["--max-version", "1.2", "--ciphers", "ECDHE-ECDSA-AES128-SHA", "--no-encrypt-then-mac"], client: ["--ciphers", "ECDHE-ECDSA-AES128-SHA"],
            version: "tls1.2", suite: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA")
    }
}
