import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
#if canImport(Glibc)
import Glibc
#endif
import Wire
import TrafficModel
import WireNIO

/// What a connection reports to the replaying session, in arrival order.
enum ConnectionEvent: Sendable {
    /// A complete HTTP response (head, body, end).
    case response(HTTPResponse)
    /// The head of a `text/event-stream` response (no body yet): its events
    /// follow one by one as `.event`, then the whole as `.response`.
    case streamHead(HTTPResponse)
    /// One complete Server-Sent Event (`at`: seconds after the head).
    case event(ServerSentEvent)
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
/// when the 101 arrives. When the 101 accepts permessage-deflate, server
/// messages with RSV1 are inflated and client messages recorded compressed
/// are compressed (RFC 7692). Events are queued on the event loop; every
/// wait has a deadline.
final class ReplayConnection: Sendable {
    let channel: Channel
    private let inbox: NIOLoopBound<EventInbox>
    private let compression: NIOLoopBound<WebSocketCompression>
    /// Completes once the pipeline speaks WebSocket (or the connection ended):
    /// a frame written earlier would meet the HTTP handlers still being removed.
    private let upgraded: EventLoopFuture<Void>

    private init(channel: Channel, inbox: NIOLoopBound<EventInbox>, compression: NIOLoopBound<WebSocketCompression>, upgraded: EventLoopFuture<Void>) {
        self.channel = channel
        self.inbox = inbox
        self.compression = compression
        self.upgraded = upgraded
    }

    /// Connects, and with `tls` completes the TLS handshake before returning:
    /// a certificate problem fails the connect, with its reason.
    /// `maxMessageSize` bounds every server message, after inflating.
    static func connect(
        to target: ReplayTarget, tls: ReplayTLS?, group: EventLoopGroup, timeout: TimeAmount, maxMessageSize: Int
    ) async throws -> ReplayConnection {
        let loop = group.next()
        let (inbox, compression) = try await loop.submit {
            (NIOLoopBound(EventInbox(eventLoop: loop), eventLoop: loop), NIOLoopBound(WebSocketCompression(), eventLoop: loop))
        }.get()
        let upgraded = loop.makePromise(of: Void.self)
        let handshake = tls.map { _ in loop.makePromise(of: Void.self) }
        let channel: Channel
        do {
            channel = try await ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls, let handshake {
                        try channel.pipeline.syncOperations.addHandlers([
                            try tls.handler(for: target), TLSHandshakeWatcher(done: handshake, timeout: timeout),
                        ])
                    }
                    var configuration = HTTPRequestEncoder.Configuration()
                    configuration.automaticallySetFramingHeaders = false
                    let encoder = HTTPRequestEncoder(configuration: configuration)
                    let decoder = ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes))
                    let collector = HTTPResponseCollector(
                        inbox: inbox.value, compression: compression.value, maxMessageSize: maxMessageSize,
                        encoder: encoder, decoder: decoder, upgraded: upgraded
                    )
                    try channel.pipeline.syncOperations.addHandlers([encoder, decoder, collector])
                }
            }
            .connect(host: target.host, port: target.port)
            .get()
        } catch {
            upgraded.succeed(())
            handshake?.succeed(())
            throw error
        }
        channel.closeFuture.whenComplete { _ in upgraded.succeed(()) }
        if let handshake {
            do {
                try await handshake.futureResult.get()
            } catch {
                try? await channel.close().get()
                throw error
            }
        }
        return ReplayConnection(channel: channel, inbox: inbox, compression: compression, upgraded: upgraded.futureResult)
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
    /// Always masked (RFC 6455 §5.3). Compressed when it was recorded
    /// compressed and this connection agreed on permessage-deflate.
    func send(_ message: WebSocketMessage) async throws {
        try await upgraded.get()
        let channel = self.channel
        let compression = self.compression
        try await channel.eventLoop.flatSubmit {
            let frames = Self.frames(for: message, deflater: compression.value.deflater)
            for frame in frames.dropLast() { channel.write(frame, promise: nil) }
            return channel.writeAndFlush(frames[frames.count - 1])
        }.get()
    }

    /// The frames of one client message (Wire's framer: recorded
    /// fragmentation, RSV1 on the first frame when compressed), each masked
    /// with a fresh key (RFC 6455 §5.3).
    static func frames(for message: WebSocketMessage, deflater: PerMessageDeflater?) -> [NIOWebSocket.WebSocketFrame] {
        WebSocketFramer.frames(for: message, deflater: deflater).map {
            NIOWebSocket.WebSocketFrame($0, maskKey: .random(), allocator: ByteBufferAllocator())
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

/// The permessage-deflate a connection's 101 agreed on, confined to the
/// event loop: the deflater for client messages (nil without an agreement,
/// or with a client window of 8 bits, which zlib cannot produce).
final class WebSocketCompression {
    var parameters: PerMessageDeflateParameters?
    var deflater: PerMessageDeflater?

    /// Takes the 101's `Sec-WebSocket-Extensions`; an acceptance a client
    /// must reject (RFC 7692 §7.1) agrees on nothing (the driver reports it).
    func agree(responseHeader: String?) {
        guard let accepted = try? PerMessageDeflateParameters.negotiated(fromResponseHeader: responseHeader) else { return }
        parameters = accepted
        if accepted.clientMaxWindowBits >= 9 {
            deflater = PerMessageDeflater(windowBits: accepted.clientMaxWindowBits, noContextTakeover: accepted.clientNoContextTakeover)
        }
    }
}

/// Collects HTTP responses; on a 101, switches the pipeline to WebSocket.
final class HTTPResponseCollector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let inbox: EventInbox
    private let compression: WebSocketCompression
    private let maxMessageSize: Int
    private let encoder: HTTPRequestEncoder
    private let decoder: ByteToMessageHandler<HTTPResponseDecoder>
    private let upgraded: EventLoopPromise<Void>
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []
    private var ended = false
    /// The event stream in progress: its parser, events so far, and when its head came.
    private var events: (parser: ServerSentEventParser, list: [ServerSentEvent], since: NIODeadline)?

    init(
        inbox: EventInbox, compression: WebSocketCompression, maxMessageSize: Int,
        encoder: HTTPRequestEncoder, decoder: ByteToMessageHandler<HTTPResponseDecoder>, upgraded: EventLoopPromise<Void>
    ) {
        self.inbox = inbox
        self.compression = compression
        self.maxMessageSize = maxMessageSize
        self.encoder = encoder
        self.decoder = decoder
        self.upgraded = upgraded
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
            events = nil
            let response = Self.response(h, body: [])
            if response.isEventStream {
                events = (ServerSentEventParser(), [], .now())
                inbox.push(.streamHead(response))
            }
        case .body(let buffer):
            body += buffer.readableBytesView
            if events != nil { readEvents(buffer.readableBytesView) }
        case .end:
            guard let head else { return }
            self.head = nil
            var response = Self.response(head, body: body)
            if let events {
                // The events are the body, as in a recording.
                response.body = nil
                response.stream = ResponseStream(headAt: 0, events: events.list, truncated: events.parser.incompleteByteCount > 0)
                self.events = nil
            }
            inbox.push(.response(response))
            if head.status == .switchingProtocols {
                let extensions = head.headers["Sec-WebSocket-Extensions"]
                compression.agree(responseHeader: extensions.isEmpty ? nil : extensions.joined(separator: ", "))
                upgrade(context: context)
            }
        }
    }

    static func response(_ head: HTTPResponseHead, body: [UInt8]) -> HTTPResponse {
        HTTPResponse(
            at: 0, version: "HTTP/\(head.version.major).\(head.version.minor)", status: Int(head.status.code),
            reason: head.status.reasonPhrase, headers: head.headers.map { HeaderField($0.name, $0.value) },
            body: body.isEmpty ? nil : Body(bytes: body)
        )
    }

    /// Feeds the stream's parser and pushes each event as it completes.
    private func readEvents(_ bytes: ByteBufferView) {
        guard var state = events else { return }
        state.parser.append(bytes)
        do {
            while let parsed = try state.parser.next() {
                var event = parsed.event
                event.at = Double((NIODeadline.now() - state.since).nanoseconds) / 1e9
                state.list.append(event)
                inbox.push(.event(event))
            }
        } catch {
            inbox.push(.failed("event stream: \(error)"))
        }
        events = state
    }

    private func upgrade(context: ChannelHandlerContext) {
        let operations = context.pipeline.syncOperations
        do {
            // The frame decoder goes right behind the HTTP decoder, which
            // hands it any bytes that came with the 101 when it is removed.
            try operations.addHandler(ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxMessageSize)), position: .after(decoder))
            try operations.addHandlers([
                WebSocketFrameEncoder(),
                WebSocketMessageCollector(inbox: inbox, deflate: compression.parameters, maxMessageSize: maxMessageSize, upgraded: upgraded.futureResult),
            ])
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
        if ReplayTLS.isUncleanShutdown(error) { return }
        inbox.push(.failed(ReplayConnection.describe(error)))
        context.close(promise: nil)
    }
}

/// Server frames to messages through Wire's reassembler (inflating the
/// compressed ones); answers pings, reports close frames. A protocol
/// violation or a message over the size limit ends the connection with the
/// reason.
final class WebSocketMessageCollector: ChannelInboundHandler {
    typealias InboundIn = NIOWebSocket.WebSocketFrame
    typealias OutboundOut = NIOWebSocket.WebSocketFrame

    private let inbox: EventInbox
    private var receiver: WebSocketReceiver
    private let maxMessageSize: Int
    /// Completes once the HTTP handlers have left the pipeline (`ReplayConnection.upgraded`).
    private let upgraded: EventLoopFuture<Void>
    private var ended = false

    init(inbox: EventInbox, deflate: PerMessageDeflateParameters?, maxMessageSize: Int, upgraded: EventLoopFuture<Void>) {
        self.inbox = inbox
        self.receiver = WebSocketReceiver(sender: .server, deflate: deflate, maxMessageSize: maxMessageSize)
        self.maxMessageSize = maxMessageSize
        self.upgraded = upgraded
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !ended else { return }
        switch receiver.receive(unwrapInboundIn(data), at: 0) {
        case .fail(let code, let reason):
            fail("server message refused (a client closes with \(code)): \(reason)", context: context)
        case .messages(let messages):
            for message in messages {
                switch message.opcode {
                case .ping:
                    let pong = NIOWebSocket.WebSocketFrame(
                        fin: true, opcode: .pong, maskKey: .random(), data: context.channel.allocator.buffer(bytes: message.payload.bytes))
                    // A ping that came in the same read as the 101 is handed on while
                    // the HTTP response decoder is still being removed; that decoder
                    // also observes outbound writes (as HTTP request parts) and traps
                    // on a frame. Answer once the pipeline speaks WebSocket only.
                    upgraded.assumeIsolated().whenSuccess { _ in
                        context.writeAndFlush(Self.wrapOutboundOut(pong), promise: nil)
                    }
                case .pong:
                    break
                case .text, .binary, .continuation, .close:
                    inbox.push(.message(message))
                }
            }
        }
    }

    /// Reports the violation and drops the connection: what came before is
    /// still judged, nothing after it is read.
    private func fail(_ reason: String, context: ChannelHandlerContext) {
        guard !ended else { return }
        ended = true
        inbox.push(.failed(reason))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !ended { inbox.push(.closed) }
        ended = true
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if ReplayTLS.isUncleanShutdown(error) { return }
        if let error = error as? NIOWebSocketError, error == .invalidFrameLength {
            return fail("a server frame is larger than \(maxMessageSize) bytes", context: context)
        }
        fail(ReplayConnection.describe(error), context: context)
    }
}

extension ReplayConnection {
    /// A user-facing reason for a socket or protocol error.
    static func describe(_ error: Error) -> String {
        if let tls = ReplayTLS.describe(error) { return tls }
        if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNRESET: return "connection reset by the target"
            case ECONNREFUSED: return "connection refused"
            case EPIPE: return "the target closed the connection (broken pipe)"
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
