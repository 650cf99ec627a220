import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import Replay
import Synchronization
import TrafficModel

/// A small staging service on 127.0.0.1, port 0, for replaying against:
/// POST /auth/token issues a fresh HS256 JWT; GET /ws accepts a valid Bearer
/// token, says `connection_established` with a fresh uuid and timestamp,
/// and answers `user_message` with `agent_completed`. Two switches break it
/// the ways real builds broke.
final class TestStagingServer: Sendable {
    enum Behaviour: Sendable {
        case asRecorded
        /// Valid JWT, yet the socket answers AUTH_REQUIRED and closes 1008.
        case contextRegression
        /// Every upgrade is refused with 401 before switching protocols.
        case unauthorizedBeforeUpgrade
        /// The 101 accepts permessage-deflate although no client offered it.
        case acceptsDeflateUnasked
    }

    static let secret = Array("staging-test-secret-32-bytes-long!!".utf8)

    let behaviour: Behaviour
    let channel: Channel
    /// Bearer tokens the WebSocket handshakes presented, in arrival order.
    let presented = Mutex<[String]>([])
    /// Tokens /auth/token issued.
    let issued = Mutex<[String]>([])

    var port: Int { channel.localAddress!.port! }
    var url: String { "\(tls ? "https" : "http")://127.0.0.1:\(port)" }
    let tls: Bool

    private init(behaviour: Behaviour, channel: Channel, tls: Bool) {
        self.behaviour = behaviour
        self.channel = channel
        self.tls = tls
    }

    /// With `tls`, every connection speaks TLS first (an https:// and wss:// server).
    static func start(_ behaviour: Behaviour = .asRecorded, tls: NIOSSLContext? = nil) async throws -> TestStagingServer {
        let box = Mutex<TestStagingServer?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                guard let server = box.withLock({ $0 }) else { return channel.close() }
                let upgrader = NIOWebSocketServerUpgrader(
                    maxFrameSize: 1 << 20,
                    shouldUpgrade: { channel, head in
                        let extra = server.behaviour == .acceptsDeflateUnasked ? HTTPHeaders([("Sec-WebSocket-Extensions", "permessage-deflate")]) : HTTPHeaders()
                        return channel.eventLoop.makeSucceededFuture(server.shouldUpgrade(head) ? extra : nil)
                    },
                    upgradePipelineHandler: { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(StagingWebSocketHandler(behaviour: server.behaviour))
                        }
                    }
                )
                return channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    let http = StagingHTTPHandler(server: server)
                    let handler = NIOLoopBound(http, eventLoop: channel.eventLoop)
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                            // After the 101 the plain HTTP handler must go, or it sees frames.
                            context.pipeline.syncOperations.removeHandler(handler.value, promise: nil)
                        })
                    )
                    try channel.pipeline.syncOperations.addHandler(http)
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        let server = TestStagingServer(behaviour: behaviour, channel: channel, tls: tls != nil)
        box.withLock { $0 = server }
        return server
    }

    func stop() async {
        try? await channel.close().get()
    }

    // MARK: auth

    static func sign(claims: JSONValue, secret: [UInt8] = secret) -> String {
        let header = Base64.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8), url: true, padding: false)
        let body = Base64.encode(Array(JSONWriter.compact(claims).utf8), url: true, padding: false)
        let mac = HMACAlgorithm.hs256.authenticationCode(Array("\(header).\(body)".utf8), key: secret)
        return "\(header).\(body).\(Base64.encode(mac, url: true, padding: false))"
    }

    func issueToken() -> String {
        let now = Int(Date().timeIntervalSince1970)
        let token = Self.sign(claims: .object([
            ("sub", .string("alice")), ("iat", .int(now)), ("exp", .int(now + 3600)),
            ("jti", .string(UUID().uuidString)),
        ]))
        issued.withLock { $0.append(token) }
        return token
    }

    /// A valid HS256 signature with our secret and not expired.
    static func isValid(_ token: String) -> Bool {
        guard let jwt = JWT(token), jwt.algorithm == "HS256",
              let signature = Base64.decode(jwt.encodedSignature),
              HMACAlgorithm.hs256.isValidAuthenticationCode(signature, for: Array(jwt.signingInput.utf8), key: secret),
              let exp = jwt.numericDate("exp")
        else { return false }
        if let nbf = jwt.numericDate("nbf"), nbf > Date().timeIntervalSince1970 + 5 { return false }
        return exp > Date().timeIntervalSince1970
    }

    func bearer(_ head: HTTPRequestHead) -> String? {
        guard let value = head.headers.first(name: "Authorization"), value.lowercased().hasPrefix("bearer ") else { return nil }
        return String(value.dropFirst("bearer ".count))
    }

    func shouldUpgrade(_ head: HTTPRequestHead) -> Bool {
        let token = bearer(head)
        if let token { presented.withLock { $0.append(token) } }
        guard behaviour != .unauthorizedBeforeUpgrade, head.uri.hasPrefix("/ws"), let token else { return false }
        return Self.isValid(token)
    }
}

/// Plain HTTP: the login, and refused upgrades.
final class StagingHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let server: TestStagingServer
    var head: HTTPRequestHead?

    init(server: TestStagingServer) {
        self.server = server
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let head else { return }
            if head.method == .POST, head.uri == "/auth/token" {
                let body = #"{"access_token":"\#(server.issueToken())","token_type":"Bearer","expires_in":3600}"#
                respond(context, .ok, body, extra: [])
            } else if head.uri.hasPrefix("/ws") {
                respond(context, .unauthorized, #"{"error":"invalid_token"}"#, extra: [("WWW-Authenticate", #"Bearer error="invalid_token""#)])
            } else {
                respond(context, .notFound, #"{"error":"not_found"}"#, extra: [])
            }
        }
    }

    func respond(_ context: ChannelHandlerContext, _ status: HTTPResponseStatus, _ body: String, extra: [(String, String)]) {
        var headers = HTTPHeaders([("Content-Type", "application/json; charset=utf-8"), ("Content-Length", String(body.utf8.count)), ("Date", Date().description)])
        for (n, v) in extra { headers.add(name: n, value: v) }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

/// The WebSocket side of the staging service.
final class StagingWebSocketHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let behaviour: TestStagingServer.Behaviour
    var closeSent = false
    var partial = ""

    init(behaviour: TestStagingServer.Behaviour) {
        self.behaviour = behaviour
    }

    static var timestamp: String { String(format: "%.3f", Date().timeIntervalSince1970) }

    func handlerAdded(context: ChannelHandlerContext) {
        switch behaviour {
        case .asRecorded, .unauthorizedBeforeUpgrade, .acceptsDeflateUnasked:
            send(context, #"{"type":"connection_established","connection_id":"\#(UUID().uuidString.lowercased())","user":"alice","timestamp":\#(Self.timestamp)}"#)
        case .contextRegression:
            send(context, #"{"type":"error_message","error_code":"AUTH_REQUIRED","error_message":"Authentication failed: Valid JWT token required for WebSocket connection","details":{"environment":"staging","error":"user_context must be a UserExecutionContext instance"},"timestamp":\#(Self.timestamp),"recovery_suggestions":null}"#)
            close(context, code: 1008, reason: "auth required")
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .continuation:
            // Clients may fragment a message; reassemble before reading it.
            partial += String(buffer: frame.unmaskedData)
            guard frame.fin else { return }
            let text = partial
            partial = ""
            // Nothing may follow our close frame (RFC 6455 §5.5.1).
            if text.contains("\"user_message\""), !closeSent {
                send(context, #"{"type":"agent_completed","run_id":"\#(UUID().uuidString.lowercased())","result":"ok","timestamp":\#(Self.timestamp)}"#)
            }
        case .connectionClose:
            var data = frame.unmaskedData
            let code = data.readInteger(as: UInt16.self) ?? 1000
            if !closeSent { close(context, code: code, reason: "") }
            context.close(promise: nil)
        default:
            break
        }
    }

    func send(_ context: ChannelHandlerContext, _ text: String) {
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: text))), promise: nil)
    }

    func close(_ context: ChannelHandlerContext, code: UInt16, reason: String) {
        closeSent = true
        var data = ByteBuffer()
        data.writeInteger(code)
        data.writeString(reason)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)), promise: nil)
    }
}
