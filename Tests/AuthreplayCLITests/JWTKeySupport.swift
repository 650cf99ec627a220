import Capture
import Foundation
import JWTKit
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import TestSupport
import CaptureTesting
import TrafficModel
import XCTest

/// Key files made with openssl at test time (private keys are never committed).
struct TestKeys {
    let dir: URL
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    var rsa: String { path("rsa.pem") }
    var rsaPublic: String { path("rsa.pub.pem") }
    var rsaCertificate: String { path("rsa.cert.pem") }
    var otherRSAPublic: String { path("other-rsa.pub.pem") }
    var ec: String { path("ec.pem") }
    var ecPublic: String { path("ec.pub.pem") }
    var ed25519: String { path("ed25519.pem") }
    var ed25519Public: String { path("ed25519.pub.pem") }

    static func generate() throws -> TestKeys {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("authreplay-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let keys = TestKeys(dir: dir)
        try openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", keys.rsa])
        try openssl(["pkey", "-in", keys.rsa, "-pubout", "-out", keys.rsaPublic])
        try openssl(["req", "-x509", "-new", "-key", keys.rsa, "-subj", "/CN=authreplay-test", "-days", "1", "-out", keys.rsaCertificate])
        try openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", keys.path("other-rsa.pem")])
        try openssl(["pkey", "-in", keys.path("other-rsa.pem"), "-pubout", "-out", keys.otherRSAPublic])
        try openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", keys.ec])
        try openssl(["pkey", "-in", keys.ec, "-pubout", "-out", keys.ecPublic])
        try openssl(["genpkey", "-algorithm", "ED25519", "-out", keys.ed25519])
        try openssl(["pkey", "-in", keys.ed25519, "-pubout", "-out", keys.ed25519Public])
        return keys
    }

    func remove() { try? FileManager.default.removeItem(at: dir) }

    private static func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        process.standardError = err
        do { try process.run() } catch { throw missingRequirement("openssl is not installed: \(error)") }
        let message = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw missingRequirement("openssl \(arguments.joined(separator: " ")) failed: \(String(decoding: message, as: UTF8.self))")
        }
    }

    /// A token signed by jwt-kit itself (independent of authreplay's adapter).
    /// `sign` is a private key file; RS256, ES256 or EdDSA by its type.
    func mint(with keyFile: String, subject: String = "alice", issuedAt: Double, lifetime: Double = 3600) async throws -> String {
        let pem = try String(contentsOfFile: keyFile, encoding: .utf8)
        let keys = JWTKeyCollection()
        if let rsa = try? Insecure.RSA.PrivateKey(pem: pem) {
            await keys.add(rsa: rsa, digestAlgorithm: .sha256)
        } else if let ec = try? ES256PrivateKey(pem: pem) {
            await keys.add(ecdsa: ec)
        } else {
            await keys.add(eddsa: try EdDSA.PrivateKey(pem: pem))
        }
        let claims = TestClaims(
            sub: SubjectClaim(value: subject), iat: IssuedAtClaim(value: Date(timeIntervalSince1970: issuedAt)),
            exp: ExpirationClaim(value: Date(timeIntervalSince1970: issuedAt + lifetime))
        )
        return try await keys.sign(claims)
    }

    /// `token` with other claims and its original signature: what a tamperer sends.
    static func tampered(_ token: String, subject: String, expires: Int = 4_100_000_000) -> String {
        let parts = token.split(separator: ".")
        let claims = Base64.encode(Array(#"{"sub":"\#(subject)","iat":1900000000,"exp":\#(expires)}"#.utf8), url: true, padding: false)
        return "\(parts[0]).\(claims).\(parts[2])"
    }
}

struct TestClaims: JWTPayload {
    var sub: SubjectClaim
    var iat: IssuedAtClaim
    var exp: ExpirationClaim

    func verify(using _: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

enum JWTFixtures {
    /// One connection per token: `GET /me` with it as a Bearer, answered 200.
    static func pcap(bearers: [String], start: Double = 1_900_000_000) -> [UInt8] {
        var packets: [CapturedPacket] = []
        for (i, token) in bearers.enumerated() {
            var conversation = SyntheticConversation(
                client: ([10, 20, 0, 5], UInt16(50_000 + i)), server: ([10, 20, 0, 9], 8000), start: Timestamp(seconds: start + Double(i))
            )
            conversation.open()
            conversation.send(Array("GET /me HTTP/1.1\r\nHost: staging\r\nAuthorization: Bearer \(token)\r\n\r\n".utf8), from: .client)
            let body = #"{"user":"alice"}"#
            conversation.send(
                Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8), from: .server
            )
            conversation.close()
            for var packet in conversation.packets {
                packet.number = packets.count + 1
                packets.append(packet)
            }
        }
        return PcapFileWriter.file(linkType: 1, packets: packets)
    }

    /// One session of `GET /me` exchanges: each Bearer and the status it got.
    static func recording(_ exchanges: [(bearer: String, status: Int)], capturedAt: Timestamp) -> Recording {
        let session = Session(
            id: "s1", client: Endpoint(host: "10.20.0.5", port: 51834), server: Endpoint(host: "10.20.0.9", port: 8000), start: 0,
            exchanges: exchanges.enumerated().map { i, exchange in
                let body = exchange.status == 200 ? #"{"user":"alice"}"# : #"{"error":"invalid_token"}"#
                return HTTPExchange(
                    request: HTTPRequest(at: 0.01 + Double(i), method: "GET", target: "/me", headers: [
                        HeaderField("Host", "staging.example.com"), HeaderField("Authorization", "Bearer \(exchange.bearer)"),
                    ]),
                    response: HTTPResponse(at: 0.02 + Double(i), status: exchange.status, reason: exchange.status == 200 ? "OK" : "Unauthorized", headers: [
                        HeaderField("Content-Type", "application/json"), HeaderField("Content-Length", String(body.utf8.count)),
                    ], body: .text(body), framing: .contentLength)
                )
            },
            end: SessionEnd(kind: .closed, at: Double(exchanges.count), by: .client)
        )
        return AuthAnalyzer().analyze(Recording(source: Source(kind: .handWritten, name: "jwt keys", tool: "tests"), capturedAt: capturedAt, sessions: [session]))
    }

    static func write(_ recording: Recording, to path: String) throws {
        try RecordingCodec.encode(recording).write(toFile: path, atomically: true, encoding: .utf8)
    }
}

/// A staging API as a jwt-kit user writes it: `GET /me` answers 200 when
/// the Bearer verifies with the RSA public key (RS256) and has not expired,
/// else 401. On 127.0.0.1, port 0.
final class RS256TestServer: Sendable {
    let channel: any Channel
    /// Bearer tokens presented, in arrival order.
    let presented = PresentedTokens()

    var url: String { "http://127.0.0.1:\(channel.localAddress!.port!)" }

    init(publicKeyFile: String) throws {
        let publicKey = try Insecure.RSA.PublicKey(pem: try String(contentsOfFile: publicKeyFile, encoding: .utf8))
        let presented = presented
        channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(RS256Handler(publicKey: publicKey, presented: presented))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .wait()
    }

    func stop() { try? channel.close().wait() }
}

final class PresentedTokens: Sendable {
    let tokens = Mutex<[String]>([])
    var last: String? { tokens.withLock { $0.last } }
}

private final class RS256Handler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let publicKey: Insecure.RSA.PublicKey
    let presented: PresentedTokens
    var head: HTTPRequestHead?

    init(publicKey: Insecure.RSA.PublicKey, presented: PresentedTokens) {
        self.publicKey = publicKey
        self.presented = presented
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            let authorization = head?.headers.first(name: "Authorization") ?? ""
            let token = authorization.hasPrefix("Bearer ") ? String(authorization.dropFirst(7)) : ""
            presented.tokens.withLock { $0.append(token) }
            let publicKey = publicKey
            let promise = context.eventLoop.makePromise(of: Bool.self)
            promise.completeWithTask {
                let keys = JWTKeyCollection()
                await keys.add(rsa: publicKey, digestAlgorithm: .sha256)
                return (try? await keys.verify(token, as: TestClaims.self)) != nil
            }
            let keepAlive = head?.isKeepAlive ?? false
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            promise.futureResult.whenSuccess { ok in
                let (handler, context) = bound.value
                handler.respond(context, ok ? .ok : .unauthorized, ok ? #"{"user":"alice"}"# : #"{"error":"invalid_token"}"#, keepAlive: keepAlive)
            }
        }
    }

    func respond(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, _ body: String, keepAlive: Bool) {
        let headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", String(body.utf8.count))])
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }
}
