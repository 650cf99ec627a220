import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import TrafficModel

/// What a connection reports to the replaying session, in arrival order.
enum ConnectionEvent: Sendable {
    /// A complete HTTP response (head, body, end).
    case response(HTTPResponse)
    /// A server WebSocket message, reassembled from its frames, or a close frame.
    case message(WebSocketMessage)
    /// The TCP connection ended.
    case closed
    /// The connection failed (reset, bad frame, bad HTTP).
    case failed(String)
}

/// One TCP connection to the target: HTTP/1.1 first, WebSocket after a 101.
///
/// Requests go through `HTTPRequestEncoder` with automatic framing headers
/// off, so the recorded start line and header fields (order, case, values)
/// are written exactly. NIO's client upgrade handler is not used because it
/// adds its own Upgrade/Connection/Sec-WebSocket-* fields; the recorded
/// handshake is sent as is and the pipeline is switched to WebSocket frames
/// when the 101 arrives. Events are queued on the event loop; every wait has
/// a deadline.
final class ReplayConnection: Sendable {
    let channel: Channel
    private let inbox: NIOLoopBound<EventInbox>
    /// Completes once the pipeline speaks WebSocket (or the connection ended):
    /// a frame written earlier would meet the HTTP handlers still being removed.
    private let upgraded: EventLoopFuture<Void>

    private init(channel: Channel, inbox: NIOLoopBound<EventInbox>, upgraded: EventLoopFuture<Void>) {
        self.channel = channel
        self.inbox = inbox
        self.upgraded = upgraded
    }

    static func connect(to target: ReplayTarget, group: EventLoopGroup, timeout: TimeAmount) async throws -> ReplayConnection {
        let loop = group.next()
        let inbox = try await loop.submit { NIOLoopBound(EventInbox(eventLoop: loop), eventLoop: loop) }.get()
        let upgraded = loop.makePromise(of: Void.self)
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    var configuration = HTTPRequestEncoder.Configuration()
                    configuration.automaticallySetFramingHeaders = false
                    let encoder = HTTPRequestEncoder(configuration: configuration)
                    let decoder = ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes))
                    let collector = HTTPResponseCollector(inbox: inbox.value, encoder: encoder, decoder: decoder, upgraded: upgraded)
                    try channel.pipeline.syncOperations.addHandlers([encoder, decoder, collector])
                }
            }
            .connect(host: target.host, port: target.port)
            .get()
        } catch {
            upgraded.succeed(())
            throw error
        }
        channel.closeFuture.whenComplete { _ in upgraded.succeed(()) }
        return ReplayConnection(channel: channel, inbox: inbox, upgraded: upgraded.futureResult)
    }

    func send(_ request: HTTPRequest) async throws {
        var headers = HTTPHeaders()
        for field in request.headers { headers.add(name: field.name, value: field.value) }
        let version: HTTPVersion = request.version == "HTTP/1.0" ? .http1_0 : .http1_1
        let head = HTTPRequestHead(version: version, method: HTTPMethod(rawValue: request.method), uri: request.target, headers: headers)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body = request.body, body.count > 0 {
            channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body.bytes))), promise: nil)
        }
        try await channel.writeAndFlush(HTTPClientRequestPart.end(nil)).get()
    }

    /// Sends a message as recorded: its opcode, and its fragmentation when
    /// the recording has the frame layout and the lengths still add up.
    /// Always masked (RFC 6455 §5.3); never compressed (no extension is
    /// negotiated on replay).
    func send(_ message: WebSocketMessage) async throws {
        try await upgraded.get()
        var payload = ByteBuffer(bytes: message.payload.bytes)
        if message.opcode == .close {
            var close = ByteBuffer()
            if let code = message.closeCode {
                close.writeInteger(UInt16(truncatingIfNeeded: code))
                close.writeBuffer(&payload)
            }
            payload = close
        }
        let opcode = NIOWebSocket.WebSocketOpcode(encodedWebSocketOpcode: message.opcode.code) ?? .text
        var lengths = [payload.readableBytes]
        if let frames = message.frames, !message.compressed, frames.count > 1,
           frames.reduce(0, { $0 + $1.length }) == payload.readableBytes {
            lengths = frames.map(\.length)
        }
        for (i, length) in lengths.enumerated() {
            let slice = payload.readSlice(length: length) ?? ByteBuffer()
            let frame = WebSocketFrame(
                fin: i == lengths.count - 1, opcode: i == 0 ? opcode : .continuation,
                maskKey: .random(), data: slice
            )
            try await channel.writeAndFlush(frame).get()
        }
    }

    /// The next event, or nil when `deadline` passed first.
    func next(deadline: NIODeadline) async throws -> ConnectionEvent? {
        let inbox = self.inbox
        return try await channel.eventLoop.flatSubmit { inbox.value.next(deadline: deadline) }.get()
    }

    func close() async {
        try? await channel.close().get()
    }
}

/// The event queue, confined to the channel's event loop.
final class EventInbox {
    private let eventLoop: EventLoop
    private var queue = CircularBuffer<ConnectionEvent>()
    private var waiter: (promise: EventLoopPromise<ConnectionEvent?>, timer: Scheduled<Void>)?

    init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    func push(_ event: ConnectionEvent) {
        if let waiter {
            self.waiter = nil
            waiter.timer.cancel()
            waiter.promise.succeed(event)
        } else {
            queue.append(event)
        }
    }

    func next(deadline: NIODeadline) -> EventLoopFuture<ConnectionEvent?> {
        if let event = queue.popFirst() { return eventLoop.makeSucceededFuture(event) }
        let promise = eventLoop.makePromise(of: ConnectionEvent?.self)
        let timer = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            guard let waiter else { return }
            self.waiter = nil
            waiter.promise.succeed(nil)
        }
        waiter = (promise, timer)
        return promise.futureResult
    }
}

/// Collects HTTP responses; on a 101, switches the pipeline to WebSocket.
final class HTTPResponseCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let inbox: EventInbox
    private let encoder: HTTPRequestEncoder
    private let decoder: ByteToMessageHandler<HTTPResponseDecoder>
    private let upgraded: EventLoopPromise<Void>
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []
    private var ended = false

    init(inbox: EventInbox, encoder: HTTPRequestEncoder, decoder: ByteToMessageHandler<HTTPResponseDecoder>, upgraded: EventLoopPromise<Void>) {
        self.inbox = inbox
        self.encoder = encoder
        self.decoder = decoder
        self.upgraded = upgraded
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
        case .body(let buffer):
            body += buffer.readableBytesView
        case .end:
            guard let head else { return }
            self.head = nil
            let response = HTTPResponse(
                at: 0, version: "HTTP/\(head.version.major).\(head.version.minor)", status: Int(head.status.code),
                reason: head.status.reasonPhrase, headers: head.headers.map { HeaderField($0.name, $0.value) },
                body: body.isEmpty ? nil : Body(bytes: body)
            )
            inbox.push(.response(response))
            if head.status == .switchingProtocols { upgrade(context: context) }
        }
    }

    private func upgrade(context: ChannelHandlerContext) {
        let operations = context.pipeline.syncOperations
        do {
            // The frame decoder goes right behind the HTTP decoder, which
            // hands it any bytes that came with the 101 when it is removed.
            try operations.addHandler(ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: 1 << 24)), position: .after(decoder))
            try operations.addHandlers([WebSocketFrameEncoder(), WebSocketMessageCollector(inbox: inbox)])
            operations.removeHandler(context: context, promise: nil)
            operations.removeHandler(encoder, promise: nil)
            // The decoder may hand on buffered bytes before it is gone; frames
            // are written only after that (see `ReplayConnection.upgraded`).
            let removed = context.eventLoop.makePromise(of: Void.self)
            removed.futureResult.cascade(to: upgraded)
            operations.removeHandler(decoder, promise: removed)
        } catch {
            inbox.push(.failed("could not switch the connection to WebSocket: \(error)"))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !ended { inbox.push(.closed) }
        ended = true
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        inbox.push(.failed(ReplayConnection.describe(error)))
        context.close(promise: nil)
    }
}

/// Reassembles server messages, answers pings, reports close frames.
final class WebSocketMessageCollector: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let inbox: EventInbox
    private var partial: (opcode: NIOWebSocket.WebSocketOpcode, data: [UInt8])?
    private var ended = false

    init(inbox: EventInbox) {
        self.inbox = inbox
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let bytes = Array(frame.unmaskedData.readableBytesView)
        switch frame.opcode {
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .pong:
            break
        case .connectionClose:
            var code: Int?
            var reason: [UInt8] = []
            if bytes.count >= 2 {
                code = Int(bytes[0]) << 8 | Int(bytes[1])
                reason = Array(bytes[2...])
            }
            inbox.push(.message(WebSocketMessage(direction: .server, at: 0, opcode: .close, payload: Body(bytes: reason), closeCode: code)))
        case .continuation:
            guard var message = partial else {
                inbox.push(.failed("the server sent a continuation frame outside a message"))
                return
            }
            message.data += bytes
            partial = message
            if frame.fin { emit(message.opcode, message.data) }
        default:
            if frame.fin {
                emit(frame.opcode, bytes)
            } else {
                partial = (frame.opcode, bytes)
            }
        }
    }

    private func emit(_ opcode: NIOWebSocket.WebSocketOpcode, _ bytes: [UInt8]) {
        partial = nil
        let ours: TrafficModel.WebSocketOpcode = opcode == .binary ? .binary : .text
        let payload: Body = ours == .binary ? .binary(bytes) : Body(bytes: bytes)
        inbox.push(.message(WebSocketMessage(direction: .server, at: 0, opcode: ours, payload: payload)))
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !ended { inbox.push(.closed) }
        ended = true
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        inbox.push(.failed(ReplayConnection.describe(error)))
        context.close(promise: nil)
    }
}

extension ReplayConnection {
    /// A user-facing reason for a socket or protocol error.
    static func describe(_ error: Error) -> String {
        if let io = error as? IOError {
            switch io.errnoCode {
            case 104: return "connection reset by the target"
            case 111: return "connection refused"
            case 32: return "the target closed the connection (broken pipe)"
            default: return "\(io)"
            }
        }
        if let connection = error as? NIOConnectionError {
            if let first = connection.connectionErrors.first { return describe(first.error) }
            if connection.dnsAError != nil || connection.dnsAAAAError != nil { return "cannot resolve \(connection.host)" }
        }
        if let channel = error as? ChannelError, case .connectTimeout(let t) = channel {
            return "connect timed out after \(formatFixed(Double(t.nanoseconds) / 1e9, decimals: 1)) s"
        }
        return "\(error)"
    }
}
