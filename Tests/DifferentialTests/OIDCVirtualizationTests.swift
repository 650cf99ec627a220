import Foundation
import TestSupport
import XCTest

/// Auth virtualization against clients that trust nothing: an OIDC-style
/// identity provider and API on aiohttp over TLS (Tests/Peers/oidc, RS256
/// tokens made with PyJWT: discovery, JWKS, a token endpoint answering JSON
/// or form-encoded with the ID token also in a Set-Cookie, userinfo, a
/// WebSocket that authenticates by its first message), driven by a client
/// that verifies every token with PyJWT's `PyJWKClient` and every
/// connection against a throwaway CA.
///
/// 1. The service runs behind `authreplay record` (the recording proxy,
///    https both ways); the client runs every scenario through it.
/// 2. `authreplay serve --sign-key TEST_KEY --issuer … --tls-cert …` serves
///    that recording; the same client, now minting its own tokens with the
///    test key, runs every scenario against it in capture order and each
///    alone against a fresh mock. Every transcript must equal the real
///    service's: every token handed out verifies against the mock's JWKS,
///    and the forged, missing, wrong-audience and expired tokens get the
///    recorded errors.
/// 3. The same with EC P-256/384/521 and Ed25519 test keys, for the
///    scenarios that sign, verify and judge tokens.
///
/// Real processes and sockets, loopback only. Needs python3 with aiohttp and
/// PyJWT[crypto], and openssl; `.ci/run` installs them, and under CI=true
/// their absence fails.
final class OIDCVirtualizationTests: XCTestCase {
    static let oidcDirectory = Corpus.packageRoot + "/Tests/Peers/oidc"
    static let service = oidcDirectory + "/service.py"
    static let client = oidcDirectory + "/client.py"

    func testVerifyingClientPassesAgainstTheMockSigningWithATestKeyOverTLS() async throws {
        let probe = await runToEnd(["python3", "-c", "import aiohttp, jwt, cryptography; jwt.PyJWKClient"], timeout: 30)
        try requireOrSkip(probe.status == 0, "the OIDC peer needs python3 with aiohttp and PyJWT[crypto] (pip install aiohttp 'pyjwt[crypto]'): \(probe.stderr)")
        let pki = try TestPKI.shared()
        guard let authreplay = ServerProcess.executable("authreplay") else {
            throw missingRequirement("the authreplay executable is not built next to the tests")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("authreplay-oidc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let recording = directory + "/capture.json"
        // The service's own key, and the test key the mock signs with: both throwaway RSA keys.
        let serviceKey = directory + "/service.key"
        let testKey = directory + "/test.key"
        for key in [serviceKey, testKey] {
            let made = await runToEnd([TestPKI.openssl, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key])
            XCTAssertEqual(made.status, 0, made.stderr)
        }
        let tls = ["--tls-cert", pki.certificateFile, "--tls-key", pki.keyFile]

        try await withDeadline(300) {
            let scenarios = await runToEnd(["python3", Self.client, "--list"], timeout: 30).lines
            XCTAssertGreaterThanOrEqual(scenarios.count, 12, "scenarios")

            // 1. The real service, recorded through the proxy. Its issuer is the proxy's URL, as a
            // staging service's public URL is what its clients see.
            let (service, proxy, proxyURL) = try await Self.onFreePort { port in
                let url = "https://127.0.0.1:\(port)"
                let service = try await ServerProcess.start(
                    executable: URL(fileURLWithPath: "/usr/bin/env"),
                    ["python3", Self.service, "--port", "0", "--signing-key", serviceKey, "--issuer", url] + tls, deadline: 20
                )
                do {
                    let proxy = try await DifferentialTests.startAuthreplay(authreplay, [
                        "record", "--upstream", try XCTUnwrap(service.baseURL), "--ca-file", pki.caFile,
                        "--listen", "127.0.0.1:\(port)", "--output", recording,
                    ] + tls)
                    return (service, proxy, url)
                } catch {
                    _ = try? await service.stop()
                    throw error
                }
            }
            let real = try await Self.transcript(base: proxyURL, ca: pki.caFile, mintKey: serviceKey)
            _ = try? await service.stop()
            let recordStatus = try await proxy.stop(signal: SIGINT, timeout: 20)
            XCTAssertEqual(recordStatus, 0, "record exit status")
            XCTAssertEqual(Set(real.compactMap(Self.scenario(of:))), Set(scenarios), "every scenario ran against the real service")
            // What was recorded is safe to commit: the service's signatures are redacted.
            let lint = try await CLI.runOffThread(["lint", recording])
            XCTAssertEqual(lint.status, 0, "lint of the capture\n\(lint.stdout)\(lint.stderr)")

            // 2a. The mock, signing with the test key, every scenario in capture order.
            let inOrder = try await Self.mockTranscript(authreplay, recording, testKey: testKey, tls: tls, ca: pki.caFile)
            DifferentialTests.assertSameTranscript(real: real, mock: inOrder, "verifying client, mock in capture order")

            // 2b. Each scenario alone against a fresh mock.
            for scenario in scenarios {
                let expected = real.filter { Self.scenario(of: $0) == scenario }
                XCTAssertFalse(expected.isEmpty, "no real transcript for \(scenario)")
                let alone = try await Self.mockTranscript(authreplay, recording, testKey: testKey, tls: tls, ca: pki.caFile, scenarios: [scenario])
                DifferentialTests.assertSameTranscript(real: expected, mock: alone, "\(scenario) alone against a fresh mock")
            }

            // 3. The other key types a test key may be (the client mints with the algorithm the JWKS publishes).
            let keyScenarios = ["login", "ws", "forged_token", "wrong_audience", "expired_token"]
            let expected = keyScenarios.flatMap { name in real.filter { Self.scenario(of: $0) == name } }
            for (name, options) in Self.otherKeyTypes {
                let key = directory + "/test-\(name).key"
                let made = await runToEnd([TestPKI.openssl, "genpkey"] + options + ["-out", key])
                XCTAssertEqual(made.status, 0, "\(name): \(made.stderr)")
                let lines = try await Self.mockTranscript(authreplay, recording, testKey: key, tls: tls, ca: pki.caFile, scenarios: keyScenarios)
                DifferentialTests.assertSameTranscript(real: expected, mock: lines, "a \(name) test key")
            }
        }
    }

    /// `openssl genpkey` options per key type besides RSA.
    static let otherKeyTypes: [(String, [String])] = [
        ("EC P-256", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]),
        ("EC P-384", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"]),
        ("EC P-521", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"]),
        ("Ed25519", ["-algorithm", "ED25519"]),
    ]

    // MARK: - Processes

    /// The client's transcript against `base`; a client that failed (a token
    /// that did not verify, a TLS error) fails the test with its output.
    static func transcript(base: String, ca: String, mintKey: String, scenarios: [String] = []) async throws -> [String] {
        let output = await runToEnd(
            ["python3", client, "--base", base, "--ca", ca, "--mint-key", mintKey] + scenarios.flatMap { ["--scenario", $0] }, timeout: 120
        )
        guard output.status == 0, !output.timedOut else {
            throw PeerFailure("OIDC client against \(base) exited \(output.status)\(output.timedOut ? " (timed out)" : ""):\n\(output.stdout)\(output.stderr)")
        }
        return output.lines
    }

    /// The client's transcript against a fresh `serve --sign-key … --tls-cert …` of `recording`.
    static func mockTranscript(
        _ authreplay: URL, _ recording: String, testKey: String, tls: [String], ca: String, scenarios: [String] = []
    ) async throws -> [String] {
        let (mock, url) = try await onFreePort { port in
            let url = "https://127.0.0.1:\(port)"
            let mock = try await DifferentialTests.startAuthreplay(authreplay, [
                "serve", recording, "--port", String(port), "--sign-key", testKey, "--issuer", url,
            ] + tls)
            return (mock, url)
        }
        XCTAssertEqual(mock.baseURL, url, "serve --tls-cert listens on https")
        do {
            let lines = try await transcript(base: url, ca: ca, mintKey: testKey, scenarios: scenarios)
            _ = try await mock.stop()
            return lines
        } catch {
            _ = try? await mock.stop()
            throw error
        }
    }

    /// Runs `start` with a port that was free a moment ago. `--issuer` names
    /// the port before the server binds it, so it cannot be 0; another
    /// process taking the port in between makes `start` fail, and it is
    /// tried again on another.
    static func onFreePort<T>(_ start: (Int) async throws -> T) async throws -> T {
        var lastError: (any Error)?
        for _ in 0..<3 {
            let port = try freePort()
            do {
                return try await start(port)
            } catch let error as ServerProcess.StartFailure {
                lastError = error
            }
        }
        throw lastError ?? PeerFailure("no free port")
    }

    /// A port the kernel just handed out for 127.0.0.1 (bound, read back, closed).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PeerFailure("socket() failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw PeerFailure("bind() failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func scenario(of line: String) -> String? {
        guard let data = line.data(using: .utf8), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object["scenario"] as? String
    }
}
