import ConnectionGuards
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import TrafficModel
import Wire

/// One client connection and its upstream connection. Both channels run on
/// the client's event loop, so this object is only ever touched from there
/// and needs no lock; what it records goes to the shared store.
final class ProxyConnection {
    struct Settings: Sendable {
        var configuration: RecordingProxy.Configuration
        var upstreamTLS: NIOSSLContext?
        var store: ProxyRecordingStore
    }

    private enum Upstream {
        case idle
        case connecting(pending: [HTTPClientRequestPart])
        case connected(Channel)
        case gone
    }

    private enum Mode {
        case http
        case websocket
    }

    let settings: Settings
    let index: Int
    let clientChannel: Channel
    let clientRelay: RawByteRelay
    let clientDecoder: ByteToMessageHandler<HTTPRequestDecoder>
    let headDeadline: RequestHeadDeadline
    private var upstream = Upstream.idle
    private var upstreamRelay: RawByteRelay?
    private var upstreamDecoder: ByteToMessageHandler<HTTPResponseDecoder>?
    private var upstreamErrorDetail: String?
    private var upstreamFailureHandled = false
    private var mode = Mode.http
    /// Per request waiting for its response, oldest first: was it a WebSocket upgrade?
    private var upgradeRequests: [Bool] = []
    /// The response being relayed: its head, whether it was sent to the client.
    private var pendingSwitch: HTTPResponseHead?
    private var responseHeadForwarded = false
    private var closeAfterResponse = false
    private var firstCloser: Direction?
    /// Requests forwarded, and those still waiting for (the end of) their response.
    private var requestsSent = 0
    private var awaitingResponses = 0
    private var responseInProgress = false
    private var ended = false

    private var store: ProxyRecordingStore { settings.store }
    private var upstreamTarget: UpstreamTarget { settings.configuration.upstream }

    init(
        settings: Settings, index: Int, clientChannel: Channel, clientRelay: RawByteRelay,
        clientDecoder: ByteToMessageHandler<HTTPRequestDecoder>, headDeadline: RequestHeadDeadline
    ) {
        self.settings = settings
        self.index = index
        self.clientChannel = clientChannel
        self.clientRelay = clientRelay
        self.clientDecoder = clientDecoder
        self.headDeadline = headDeadline
    }

    static func configureClient(_ channel: Channel, settings: Settings, tls: NIOSSLContext?) throws {
        let upstream = settings.configuration.upstream
        let client = channel.remoteAddress.map(endpoint) ?? Endpoint(host: "unknown", port: 0)
        guard let index = settings.store.open(client: client, server: Endpoint(host: upstream.host, port: UInt16(upstream.port))) else {
            channel.close(promise: nil)
            return
        }
        let sync = channel.pipeline.syncOperations
        let configuration = settings.configuration
        try sync.addHandler(IdleStateHandler(allTimeout: .nanoseconds(Int64(configuration.idleTimeout * 1_000_000_000))))
        try sync.addHandler(IdleCloseHandler())
        if let tls { try sync.addHandler(NIOSSLServerHandler(context: tls)) }
        let deadline = RequestHeadDeadline(timeout: .nanoseconds(Int64(configuration.headTimeout * 1_000_000_000)), log: configuration.log)
        try sync.addHandler(deadline)
        let store = settings.store
        let relay = RawByteRelay { store.received(index, $0.readableBytesView, from: .client) }
        let decoder = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
        let connection = ProxyConnection(
            settings: settings, index: index, clientChannel: channel, clientRelay: relay, clientDecoder: decoder, headDeadline: deadline
        )
        try sync.addHandlers([relay, HTTPResponseEncoder(), decoder, ClientSideHandler(connection)])
    }

    static func endpoint(_ address: SocketAddress) -> Endpoint {
        Endpoint(host: address.ipAddress ?? "unknown", port: UInt16(clamping: address.port ?? 0))
    }

    private func log(_ line: String) { settings.configuration.log?(line) }
    private var sessionID: String { "s\(index + 1)" }

    // MARK: From the client

    func clientPart(_ part: HTTPServerRequestPart) {
        guard mode == .http, !upstreamFailureHandled else { return }
        switch part {
        case .head(let head):
            headDeadline.headReceived()
            let fields = head.headers.map { HeaderField($0.name, $0.value) }
            let isUpgrade = fields.listElements("Upgrade").contains { $0.lowercased() == "websocket" }
            upgradeRequests.append(isUpgrade)
            awaitingResponses += 1
            requestsSent += 1
            var forwarded = HTTPRequestHead(version: head.version, method: head.method, uri: head.uri)
            forwarded.headers = HTTPHeaders(upstreamTarget.forwardedFields(fields, isUpgrade: isUpgrade).map { ($0.name, $0.value) })
            sendUpstream(.head(forwarded))
        case .body(let buffer):
            sendUpstream(.body(.byteBuffer(buffer)))
        case .end(let trailers):
            sendUpstream(.end(trailers))
        }
    }

    private func sendUpstream(_ part: HTTPClientRequestPart) {
        switch upstream {
        case .idle:
            upstream = .connecting(pending: [part])
            connectUpstream()
        case .connecting(var pending):
            pending.append(part)
            upstream = .connecting(pending: pending)
        case .connected(let channel):
            switch part {
            case .head:
                channel.write(part, promise: nil)
            case .body, .end:
                channel.writeAndFlush(part, promise: nil)
                upstreamRelay?.pauseSourceIfFull()
            }
        case .gone:
            break
        }
    }

    private func connectUpstream() {
        let bound = NIOLoopBound(self, eventLoop: clientChannel.eventLoop)
        let target = upstreamTarget
        ClientBootstrap(group: clientChannel.eventLoop)
            .connectTimeout(.milliseconds(Int64(settings.configuration.connectTimeout * 1000)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try bound.value.configureUpstream(channel) }
            }
            .connect(host: target.host, port: target.port)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel): bound.value.upstreamConnected(channel)
                case .failure(let error): bound.value.upstreamFailed("cannot connect to \(target.endpoint): \(error)")
                }
            }
    }

    private func configureUpstream(_ channel: Channel) throws {
        let sync = channel.pipeline.syncOperations
        if let tls = settings.upstreamTLS {
            let isIP = (try? SocketAddress(ipAddress: upstreamTarget.host, port: 0)) != nil
            try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: isIP ? nil : upstreamTarget.host))
        }
        let (store, index) = (self.store, self.index)
        let relay = RawByteRelay { store.received(index, $0.readableBytesView, from: .server) }
        let decoder = ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes))
        try sync.addHandlers([relay, HTTPRequestEncoder(), decoder, UpstreamSideHandler(self)])
        upstreamRelay = relay
        upstreamDecoder = decoder
        relay.source = clientRelay
        clientRelay.source = relay
    }

    private func upstreamConnected(_ channel: Channel) {
        guard case .connecting(let pending) = upstream, !ended else {
            channel.close(promise: nil)
            return
        }
        upstream = .connected(channel)
        for part in pending { channel.write(part, promise: nil) }
        channel.flush()
    }

    func clientInactive() {
        if firstCloser == nil { firstCloser = .client }
        closeUpstream()
        endSession()
    }

    func clientError(_ error: Error) {
        clientChannel.close(promise: nil)
    }

    // MARK: From the upstream

    func upstreamPart(_ part: HTTPClientResponsePart) {
        switch part {
        case .head(let head):
            if head.status.code >= 200 || head.status == .switchingProtocols { responseInProgress = true }
            let wasUpgrade = upgradeRequests.isEmpty ? false : upgradeRequests.removeFirst()
            if wasUpgrade && head.status == .switchingProtocols {
                pendingSwitch = head
                return
            }
            closeAfterResponse = wasUpgrade
            responseHeadForwarded = true
            clientChannel.write(HTTPServerResponsePart.head(head), promise: nil)
        case .body(let buffer):
            if pendingSwitch == nil {
                clientChannel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
                clientRelay.pauseSourceIfFull()
            }
        case .end(let trailers):
            if responseInProgress {
                responseInProgress = false
                awaitingResponses = max(0, awaitingResponses - 1)
            }
            if let head = pendingSwitch {
                pendingSwitch = nil
                switchToWebSocket(head)
                return
            }
            responseHeadForwarded = false
            headDeadline.answerSent()
            if closeAfterResponse {
                clientChannel.writeAndFlush(HTTPServerResponsePart.end(trailers)).assumeIsolated().whenComplete { [self] _ in
                    if firstCloser == nil { firstCloser = .server }
                    clientChannel.close(promise: nil)
                }
            } else {
                clientChannel.writeAndFlush(HTTPServerResponsePart.end(trailers), promise: nil)
            }
        }
    }

    /// Both sides agreed to WebSocket: answer the client, then splice bytes.
    private func switchToWebSocket(_ head: HTTPResponseHead) {
        guard case .connected(let upstreamChannel) = upstream, let upstreamRelay, let upstreamDecoder else { return }
        clientChannel.write(HTTPServerResponsePart.head(head), promise: nil)
        clientChannel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
        mode = .websocket
        clientChannel.pipeline.syncOperations.removeHandler(headDeadline, promise: nil)
        clientRelay.startSplicing { [weak self] in self?.splice($0, from: .client) }
        upstreamRelay.startSplicing { [weak self] in self?.splice($0, from: .server) }
        // The decoders hold whatever followed the handshake (often the first
        // server frame, in the same segment as the 101); removing them hands
        // those bytes to the catchers.
        do {
            try upstreamChannel.pipeline.syncOperations.addHandler(
                LeftoverBytesCatcher { [weak self] in self?.splice($0, from: .server) }, position: .after(upstreamDecoder)
            )
            try clientChannel.pipeline.syncOperations.addHandler(
                LeftoverBytesCatcher { [weak self] in self?.splice($0, from: .client) }, position: .after(clientDecoder)
            )
        } catch {
            clientChannel.close(promise: nil)
            return
        }
        upstreamChannel.pipeline.syncOperations.removeHandler(upstreamDecoder, promise: nil)
        clientChannel.pipeline.syncOperations.removeHandler(clientDecoder, promise: nil)
    }

    /// Relays upgraded bytes as they come; the relays already recorded them.
    private func splice(_ buffer: ByteBuffer, from direction: Direction) {
        switch direction {
        case .client: upstreamRelay?.send(buffer)
        case .server: clientRelay.send(buffer)
        }
    }

    func upstreamError(_ error: Error) {
        if upstreamErrorDetail == nil {
            let tls = error is NIOSSLError || error is NIOSSLExtraError
            upstreamErrorDetail = "\(tls ? "TLS with" : "connection to") \(upstreamTarget.endpoint) failed: \(error)"
        }
        if case .connected(let channel) = upstream { channel.close(promise: nil) }
    }

    func upstreamInactive() {
        if firstCloser == nil { firstCloser = .server }
        upstreamFailed(upstreamErrorDetail ?? "\(upstreamTarget.endpoint) closed the connection")
    }

    /// The upstream is gone. A request still waiting gets a 502 from the
    /// proxy; otherwise the client connection is closed like the upstream's.
    private func upstreamFailed(_ detail: String) {
        guard !upstreamFailureHandled else { return }
        upstreamFailureHandled = true
        upstream = .gone
        guard mode == .http, awaitingResponses > 0, !responseHeadForwarded, pendingSwitch == nil else {
            clientChannel.close(promise: nil)
            return
        }
        // The proxy answers in the upstream's place; the bytes it sends are
        // the ones recorded, so the recording holds what the client saw.
        let body = JSONWriter.compact(.object([("error", .string("upstream_unreachable")), ("detail", .string(detail))]))
        let head = "HTTP/1.1 502 Bad Gateway\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
        let response = Array((head + body).utf8)
        store.answeredForUpstream(index, response: response, detail: "exchange \(answeredExchanges()): \(detail)")
        log("\(sessionID) upstream unreachable, answered 502: \(detail)")
        clientRelay.send(ByteBuffer(bytes: response))
        clientChannel.close(promise: nil)
    }

    /// The index of the exchange a proxy answer goes to: the oldest waiting one.
    private func answeredExchanges() -> Int { requestsSent - awaitingResponses }

    private func closeUpstream() {
        switch upstream {
        case .connected(let channel): channel.close(promise: nil)
        case .idle, .connecting, .gone: break
        }
        upstreamFailureHandled = true
        upstream = .gone
    }

    private func endSession() {
        guard !ended else { return }
        ended = true
        store.finish(index, kind: .fin, by: firstCloser)
    }

    // MARK: Lines

    static func version(_ v: HTTPVersion) -> String { "HTTP/\(v.major).\(v.minor)" }
}

/// The client side's HTTP parts, handed to the connection.
final class ClientSideHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart

    private let connection: ProxyConnection

    init(_ connection: ProxyConnection) { self.connection = connection }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.clientPart(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.clientInactive()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        connection.clientError(error)
    }
}

/// The upstream side's HTTP parts, handed to the connection.
final class UpstreamSideHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let connection: ProxyConnection

    init(_ connection: ProxyConnection) { self.connection = connection }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.upstreamPart(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.upstreamInactive()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        connection.upstreamError(error)
    }
}
