import ConnectionGuards
import NIOCore
import NIOHTTP1
import NIOWebSocket
import Wire
import TrafficModel

/// Sets up one accepted connection: limits, HTTP/1.1 with pipelining, the
/// WebSocket upgrader that consults the matcher, and the replay handler that
/// answers whatever is not upgraded.
enum ConnectionPipeline {
    static let httpHandlerName = "authreplay.http"
    static let armingHandlerName = "authreplay.upgrade-arming"

    static func configure(_ channel: Channel, state: SharedState) throws {
        guard state.admit(channel) else {
            state.configuration.log?("connection from \(channel.remoteAddress?.description ?? "?") refused: \(state.configuration.maxConnections) connections already open")
            channel.close(promise: nil)
            return
        }
        channel.closeFuture.whenComplete { _ in state.remove(channel) }
        let configuration = state.configuration
        let deadline = RequestHeadDeadline(timeout: .nanoseconds(Int64(configuration.headTimeout * 1_000_000_000)), log: configuration.log)
        let slot = NIOLoopBound(UpgradeSlot(headDeadline: deadline), eventLoop: channel.eventLoop)

        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: configuration.maxMessageSize,
            automaticErrorHandling: false,
            shouldUpgrade: { channel, head in
                slot.value.headDeadline.headReceived()
                let request = HTTPRequest(head)
                guard !request.path.hasPrefix(MockReplay.adminPrefix) else { return channel.eventLoop.makeSucceededFuture(nil) }
                switch state.handle(request, canUpgrade: true) {
                case .upgrade(let reference, let fields, let script, let deflate):
                    slot.value.upgrade = (reference, script, deflate)
                    var headers = HTTPHeaders()
                    for field in fields { headers.add(name: field.name, value: field.value) }
                    return channel.eventLoop.makeSucceededFuture(headers)
                case .respond(let response, let delay):
                    // Not upgrading: the replay handler sends the recorded answer.
                    slot.value.pending = .respond(response, delay: delay)
                    return channel.eventLoop.makeSucceededFuture(nil)
                case .hold(let sid, let timeout):
                    // Only long-polling GETs are held, and those do not ask to upgrade.
                    slot.value.pending = .hold(engineIOSession: sid, timeout: timeout)
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
            },
            upgradePipelineHandler: { channel, _ in
                guard let (reference, script, deflate) = slot.value.upgrade else { return channel.close() }
                slot.value.upgrade = nil
                return channel.eventLoop.makeCompletedFuture {
                    channel.pipeline.syncOperations.removeHandler(slot.value.headDeadline, promise: nil)
                    try channel.pipeline.syncOperations.addHandler(
                        WebSocketReplayHandler(script: script, reference: reference, deflate: deflate, state: state)
                    )
                }
            }
        )

        let completion: @Sendable (ChannelHandlerContext) -> Void = { context in
            context.pipeline.removeHandler(name: armingHandlerName, promise: nil)
            context.pipeline.removeHandler(name: httpHandlerName, promise: nil)
        }
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(IdleStateHandler(allTimeout: .nanoseconds(Int64(configuration.idleTimeout * 1_000_000_000))))
        try sync.addHandler(IdleCloseHandler())
        try sync.addHandler(deadline)
        try sync.configureHTTPServerPipeline(
            withPipeliningAssistance: true,
            withServerUpgrade: (upgraders: [upgrader], completionHandler: completion),
            withErrorHandling: true
        )
        try sync.addHandler(
            UpgradeArming(slot: slot) { pipeline in
                rearmUpgrade(pipeline, decoderStopped: false, upgrader: upgrader, completion: completion)
            },
            name: armingHandlerName
        )
        try sync.addHandler(
            HTTPReplayHandler(state: state, slot: slot) { pipeline, decoderStopped in
                rearmUpgrade(pipeline, decoderStopped: decoderStopped, upgrader: upgrader, completion: completion)
            },
            name: httpHandlerName
        )
    }

    /// NIO's upgrade handler looks at the first request only and then leaves
    /// the pipeline. Putting a fresh one back before the replay handler lets a
    /// later request on a keep-alive connection upgrade exactly like a first
    /// one. That is done when such a request arrives (`UpgradeArming`), so
    /// plain requests pay nothing, and, for a request that asked for an
    /// upgrade and was refused, while its answer is written (the pipelining
    /// handler holds the next request until then and the stopped decoder's
    /// bytes already wait for it).
    ///
    /// NIO's request decoder stops parsing for good after a request that asked
    /// for an upgrade (it expects to be removed); when that upgrade was not
    /// done (`decoderStopped`), a fresh decoder takes over the bytes after it.
    static func rearmUpgrade(
        _ pipeline: ChannelPipeline.SynchronousOperations, decoderStopped: Bool, upgrader: NIOWebSocketServerUpgrader,
        completion: @escaping @Sendable (ChannelHandlerContext) -> Void
    ) {
        guard (try? pipeline.context(handlerType: HTTPServerUpgradeHandler.self)) == nil,
              let encoder = try? pipeline.handler(type: HTTPResponseEncoder.self),
              var decoder = try? pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self),
              let replay = try? pipeline.context(name: httpHandlerName)
        else { return }
        if decoderStopped {
            let fresh = ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes))
            do {
                try pipeline.addHandler(fresh, position: .after(decoder))
                // Removing the stopped decoder forwards its unparsed bytes to the fresh one.
                pipeline.removeHandler(decoder, promise: nil)
                decoder = fresh
            } catch {
                return
            }
        }
        // The same HTTP handlers configureHTTPServerPipeline gives the first
        // upgrade handler, so an upgrade leaves the same clean pipeline.
        var extra: [RemovableChannelHandler] = [decoder]
        if let handler = try? pipeline.handler(type: HTTPServerPipelineHandler.self) { extra.append(handler) }
        if let handler = try? pipeline.handler(type: NIOHTTPResponseHeadersValidator.self) { extra.append(handler) }
        if let handler = try? pipeline.handler(type: HTTPServerProtocolErrorHandler.self) { extra.append(handler) }
        let handler = HTTPServerUpgradeHandler(
            upgraders: [upgrader], httpEncoder: encoder, extraHTTPHandlers: extra, upgradeCompletionHandler: completion
        )
        try? pipeline.addHandler(handler, position: .before(replay.handler))
    }
}

/// Sits before the replay handler and puts NIO's upgrade handler back for a
/// later request on a keep-alive connection that asks for an upgrade, when
/// none is there and no upgrade handler already decided on it (the first
/// request's sits before this one; a refusal comes with `slot.pending`).
final class UpgradeArming: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    private let slot: NIOLoopBound<UpgradeSlot>
    private let arm: (ChannelPipeline.SynchronousOperations) -> Void

    init(slot: NIOLoopBound<UpgradeSlot>, arm: @escaping (ChannelPipeline.SynchronousOperations) -> Void) {
        self.slot = slot
        self.arm = arm
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data), slot.value.pending == nil, HTTPReplayHandler.asksForUpgrade(head) {
            arm(context.pipeline.syncOperations)
        }
        context.fireChannelRead(data)
    }
}

/// What the upgrader decided for the current request, for the handler that
/// acts on it (both run on the channel's event loop).
final class UpgradeSlot {
    var upgrade: (RecordedReference, SessionTree, PerMessageDeflateAgreement?)?
    var pending: MockReplay.Decision?
    /// The connection's slowloris deadline: told when a head is complete and when its answer went out.
    let headDeadline: RequestHeadDeadline

    init(headDeadline: RequestHeadDeadline) { self.headDeadline = headDeadline }
}

extension HTTPRequest {
    /// A live request head as a request value (time is not part of matching).
    init(_ head: HTTPRequestHead, body: [UInt8] = []) {
        self.init(
            at: 0, method: head.method.rawValue, target: head.uri, version: "\(head.version)",
            headers: head.headers.map { HeaderField($0.name, $0.value) },
            body: body.isEmpty ? nil : Body(bytes: body), framing: body.isEmpty ? .none : .contentLength
        )
    }
}
