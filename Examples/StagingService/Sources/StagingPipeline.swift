import NIOCore
import NIOHTTP1
import NIOWebSocket
import TrafficModel

/// One connection: HTTP/1.1, the WebSocket upgrader on `/ws` (which declines
/// refused handshakes so the HTTP handler answers them 401), and the HTTP handler.
enum StagingPipeline {
    static let httpHandlerName = "staging.http"
    static let maxMessageSize = 1 << 20

    static func configure(_ channel: Channel, api: StagingAPI) throws {
        let slot = NIOLoopBound(AdmissionSlot(), eventLoop: channel.eventLoop)
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: maxMessageSize,
            automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                let request = HTTPRequest(head)
                guard request.path == "/ws" else { return channel.eventLoop.makeSucceededFuture(nil) }
                let admission = api.admitWebSocket(request, now: api.configuration.clock())
                var headers = HTTPHeaders()
                switch admission {
                case .refuse:
                    return channel.eventLoop.makeSucceededFuture(nil)
                case .accept(_, let subprotocol), .fail(_, let subprotocol):
                    if let subprotocol { headers.add(name: "Sec-WebSocket-Protocol", value: subprotocol) }
                }
                slot.value.admission = admission
                return channel.eventLoop.makeSucceededFuture(headers)
            },
            upgradePipelineHandler: { channel, head in
                guard let admission = slot.value.admission else { return channel.close() }
                slot.value.admission = nil
                api.configuration.log?("GET \(head.uri) → 101 (\(admission.logSummary))")
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(StagingWebSocketHandler(admission: admission, api: api))
                }
            }
        )
        let sync = channel.pipeline.syncOperations
        try sync.configureHTTPServerPipeline(
            withPipeliningAssistance: true,
            withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                context.pipeline.removeHandler(name: httpHandlerName, promise: nil)
            }),
            withErrorHandling: true
        )
        try sync.addHandler(StagingHTTPHandler(api: api), name: httpHandlerName)
    }
}

/// The upgrader's decision, for the handler it installs (both on the channel's loop).
final class AdmissionSlot {
    var admission: WebSocketAdmission?
}

extension WebSocketAdmission {
    var logSummary: String {
        switch self {
        case .accept(let user, _): return "user \(user)"
        case .fail(let error, _): return "AUTH_REQUIRED: \(error)"
        case .refuse(let response): return "refused \(response.status)"
        }
    }
}

extension HTTPRequest {
    init(_ head: HTTPRequestHead, body: [UInt8] = []) {
        self.init(
            at: 0, method: head.method.rawValue, target: head.uri, version: "\(head.version)",
            headers: head.headers.map { HeaderField($0.name, $0.value) },
            body: body.isEmpty ? nil : Body(bytes: body), framing: body.isEmpty ? .none : .contentLength
        )
    }
}

/// Answers plain HTTP requests with `StagingAPI`.
final class StagingHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let api: StagingAPI
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false

    init(api: StagingAPI) { self.api = api }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
            tooLarge = false
        case .body(var buffer):
            if body.count + buffer.readableBytes > StagingPipeline.maxMessageSize {
                tooLarge = true
            } else if let bytes = buffer.readBytes(length: buffer.readableBytes) {
                body += bytes
            }
        case .end:
            guard let head else { return }
            self.head = nil
            let response = tooLarge
                ? .json(413, "Payload Too Large", .object([("error", .string("request_too_large"))]), close: true)
                : api.respond(to: HTTPRequest(head, body: body), now: api.configuration.clock())
            api.configuration.log?("\(head.method.rawValue) \(head.uri) → \(response.status)")
            write(response, keepAlive: head.isKeepAlive && !response.close, context: context)
        }
    }

    private func write(_ response: StagingResponse, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        for field in response.headers { headers.add(name: field.name, value: field.value) }
        headers.add(name: "Content-Length", value: String(response.body.count))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(
            version: .http1_1, status: HTTPResponseStatus(statusCode: response.status, reasonPhrase: response.reason), headers: headers
        )
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !response.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
            done.whenComplete { _ in loopBound.value.close(promise: nil) }
        }
    }
}
