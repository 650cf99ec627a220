import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import TestSupport
import XCTest

// The pieces the recording proxy tests share: certificates made with the
// openssl command line (swift-nio-ssl cannot generate keys), a small TLS
// upstream on loopback, deadlines. The one test here checks the fixture.

final class RecordingProxyUpstreamTests: XCTestCase {
    func testTheUpstreamAnswersOverTLSWithTheGeneratedCA() async throws {
        let pki = try TestPKI.shared()
        XCTAssertTrue(FileManager.default.fileExists(atPath: pki.caFile))
        let upstream = try await ProxyTestUpstream.start(tls: true)
        defer { Task { await upstream.stop() } }
        XCTAssertGreaterThan(upstream.port, 0)
    }
}

/// A small staging-like upstream: POST /login issues a token, GET /api/me
/// wants it as a Bearer, GET /ws (with the token) upgrades, sends a JSON
/// text frame, an `error_message` frame and closes with 1008; /ws-hold sends
/// one frame and waits.
final class ProxyTestUpstream: Sendable {
    /// A JWT-shaped token (not signed by anything real).
    static let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImV4cCI6NDEwMjQ0NDgwMH0.c2lnbmF0dXJlLW5vdC1yZWFs"
    static let loginBody = #"{"access_token":"\#(token)","token_type":"Bearer"}"#
    static let meBody = #"{"user":"alice"}"#
    static let welcome = #"{"type":"connection_established","user":"alice"}"#
    static let errorMessage = #"{"type":"error_message","error_code":"AUTH_REQUIRED","details":{"error":"user_context must be a UserExecutionContext instance"}}"#

    struct Seen: Sendable {
        var method: String
        var uri: String
        var headers: [(String, String)]
    }

    let port: Int
    private let seen: Box<[Seen]>
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel

    private init(port: Int, seen: Box<[Seen]>, group: MultiThreadedEventLoopGroup, channel: Channel) {
        self.port = port
        self.seen = seen
        self.group = group
        self.channel = channel
    }

    static func start(tls: Bool) async throws -> ProxyTestUpstream {
        let context: NIOSSLContext? = try tls ? serverContext() : nil
        let seen = Box<[Seen]>([])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try configure(channel, tls: context, seen: seen)
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ProxyTestUpstream(port: channel.localAddress!.port!, seen: seen, group: group, channel: channel)
    }

    private static func serverContext() throws -> NIOSSLContext {
        let pki = try TestPKI.shared()
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(pki.certificateFile).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: pki.keyFile, format: .pem))
        )
        return try NIOSSLContext(configuration: configuration)
    }

    /// What the upstream saw, in order.
    var requests: [Seen] { seen.value }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }

    private static func configure(_ channel: Channel, tls: NIOSSLContext?, seen: Box<[Seen]>) throws {
        let sync = channel.pipeline.syncOperations
        if let tls { try sync.addHandler(NIOSSLServerHandler(context: tls)) }
        let upgrader = NIOWebSocketServerUpgrader(
            shouldUpgrade: { channel, head in
                seen.update { $0.append(Seen(method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) })) }
                let allowed = head.uri.hasPrefix("/ws") && head.headers["Authorization"].first == "Bearer \(token)"
                return channel.eventLoop.makeSucceededFuture(allowed ? HTTPHeaders() : nil)
            },
            upgradePipelineHandler: { channel, head in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ScriptedWebSocketHandler(hold: head.uri == "/ws-hold"))
                }
            }
        )
        let http = UpstreamHTTPHandler(seen: seen)
        try sync.configureHTTPServerPipeline(withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
            context.pipeline.removeHandler(http, promise: nil)
        }))
        try sync.addHandler(http)
    }
}

private final class UpstreamHTTPHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let seen: Box<[ProxyTestUpstream.Seen]>
    private let head = Box<HTTPRequestHead?>(nil)

    init(seen: Box<[ProxyTestUpstream.Seen]>) { self.seen = seen }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head.update { $0 = h }
            if !h.uri.hasPrefix("/ws") {
                seen.update { $0.append(.init(method: h.method.rawValue, uri: h.uri, headers: h.headers.map { ($0.name, $0.value) })) }
            }
        case .body:
            break
        case .end:
            guard let h = head.value else { return }
            let bearer = h.headers["Authorization"].first == "Bearer \(ProxyTestUpstream.token)"
            let (status, body): (HTTPResponseStatus, String)
            switch (h.method, h.uri) {
            case (.POST, "/login"): (status, body) = (.ok, ProxyTestUpstream.loginBody)
            case (.GET, "/api/me") where bearer: (status, body) = (.ok, ProxyTestUpstream.meBody)
            case (.GET, "/api/me"), (.GET, "/ws"), (.GET, "/ws-hold"): (status, body) = (.unauthorized, #"{"error":"unauthorized"}"#)
            default: (status, body) = (.notFound, #"{"error":"not_found"}"#)
            }
            var response = HTTPResponseHead(version: .http1_1, status: status)
            response.headers.add(name: "Content-Type", value: "application/json")
            response.headers.add(name: "Content-Length", value: String(body.utf8.count))
            context.write(wrapOutboundOut(.head(response)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}

private final class ScriptedWebSocketHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let hold: Bool

    init(hold: Bool) { self.hold = hold }

    func handlerAdded(context: ChannelHandlerContext) {
        send(context, .text, ByteBuffer(string: ProxyTestUpstream.welcome))
        guard !hold else {
            context.flush()
            return
        }
        send(context, .text, ByteBuffer(string: ProxyTestUpstream.errorMessage))
        var close = ByteBuffer()
        close.writeInteger(UInt16(1008))
        close.writeString("policy violation")
        send(context, .connectionClose, close)
        context.flush()
    }

    private func send(_ context: ChannelHandlerContext, _ opcode: WebSocketOpcode, _ data: ByteBuffer) {
        context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: opcode, data: data)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if frame.opcode == .connectionClose {
            if hold {
                // Echo the close, then end the connection.
                send(context, .connectionClose, frame.unmaskedData)
                context.flush()
            }
            context.close(promise: nil)
        }
    }
}
