import NIOCore
import NIOHTTP1
import NIOWebSocket
import PerMessageDeflate
import TrafficModel

/// Sets up one accepted connection: limits, HTTP/1.1 with pipelining, the
/// WebSocket upgrader that consults the matcher, and the replay handler that
/// answers whatever is not upgraded.
enum ConnectionPipeline {
    static let httpHandlerName = "authreplay.http"

    static func configure(_ channel: Channel, state: SharedState) throws {
        guard state.admit(channel) else {
            state.configuration.log?("connection from \(channel.remoteAddress?.description ?? "?") refused: \(state.configuration.maxConnections) connections already open")
            channel.close(promise: nil)
            return
        }
        channel.closeFuture.whenComplete { _ in state.remove(channel) }
        let configuration = state.configuration
        let slot = NIOLoopBound(UpgradeSlot(), eventLoop: channel.eventLoop)

        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: configuration.maxMessageSize,
            automaticErrorHandling: false,
            shouldUpgrade: { channel, head in
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
                }
            },
            upgradePipelineHandler: { channel, _ in
                guard let (reference, script, deflate) = slot.value.upgrade else { return channel.close() }
                slot.value.upgrade = nil
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        WebSocketReplayHandler(script: script, reference: reference, deflate: deflate, state: state)
                    )
                }
            }
        )

        let sync = channel.pipeline.syncOperations
        try sync.addHandler(IdleStateHandler(allTimeout: .nanoseconds(Int64(configuration.idleTimeout * 1_000_000_000))))
        try sync.addHandler(IdleCloseHandler())
        try sync.configureHTTPServerPipeline(
            withPipeliningAssistance: true,
            withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                context.pipeline.removeHandler(name: httpHandlerName, promise: nil)
            }),
            withErrorHandling: true
        )
        try sync.addHandler(HTTPReplayHandler(state: state, slot: slot), name: httpHandlerName)
    }
}

/// What the upgrader decided for the connection's first request, for the
/// handler that acts on it (both run on the channel's event loop).
final class UpgradeSlot {
    var upgrade: (RecordedReference, SessionScript, PerMessageDeflateAgreement?)?
    var pending: MockReplay.Decision?
}

/// Closes a connection that saw no reads or writes for the idle timeout.
final class IdleCloseHandler: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
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
