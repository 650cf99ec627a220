import NIOCore
import NIOWebSocket
import Wire
import TrafficModel
import WireNIO

/// Runs a `SessionTree` on an upgraded connection: performs its actions
/// (send, wait, choose, close, cut) and feeds it complete client messages
/// with what the run knows at that moment (issued tokens, the pool). With
/// permessage-deflate agreed, the messages recorded compressed are sent
/// compressed (RSV1) and compressed client messages are inflated, within
/// `maxMessageSize` after inflating.
final class WebSocketReplayHandler: ChannelInboundHandler {
    typealias InboundIn = NIOWebSocket.WebSocketFrame
    typealias OutboundOut = NIOWebSocket.WebSocketFrame

    /// How long to wait for the client's close reply after the mock sent a close frame.
    static let closeGrace: TimeAmount = .seconds(5)

    private var script: SessionTree
    /// The recorded session the journal names: the tree's leader, as the client's messages choose it.
    private var reference: RecordedReference
    private let state: SharedState
    /// The script is waiting for a client message.
    private var waiting = false
    /// Client messages that arrived while the script was still sending.
    private var inbox: [WebSocketMessage] = []
    /// Client frames to messages: Wire's reassembler, limits and inflating.
    private var receiver: WebSocketReceiver
    /// Compresses server messages; nil without permessage-deflate or when the
    /// agreed window is too small for zlib (messages then go uncompressed).
    private let deflater: PerMessageDeflater?
    private let deflate: PerMessageDeflateAgreement?
    private var pendingSend: Scheduled<Void>?
    private var closeTimer: Scheduled<Void>?
    private var done = false

    init(script: SessionTree, reference: RecordedReference, deflate: PerMessageDeflateAgreement?, state: SharedState) {
        self.script = script
        self.reference = reference
        self.state = state
        self.deflate = deflate
        if let deflate {
            let parameters = deflate.parameters
            deflater = deflate.serverCanCompress
                ? PerMessageDeflater(windowBits: parameters.serverMaxWindowBits, noContextTakeover: parameters.serverNoContextTakeover)
                : nil
        } else {
            deflater = nil
        }
        receiver = WebSocketReceiver(sender: .client, deflate: deflate?.parameters, maxMessageSize: state.configuration.maxMessageSize)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let compression = deflate.map { ", \($0.header)" } ?? ""
        let candidates = script.candidates.count
        let shared = candidates > 1 ? ", \(candidates) recorded sessions share the handshake" : ""
        state.configuration.log?("websocket \(reference) upgraded, \(script.leadingSteps) steps\(shared)\(compression)")
        perform(script.next(), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        pendingSend?.cancel()
        closeTimer?.cancel()
        if !done {
            done = true
            state.record(.sessionEnded(reference: reference, how: "client disconnected before the script ended"))
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if done {
            // Only the reply to our close frame matters now.
            if frame.opcode == .connectionClose { context.close(promise: nil) }
            return
        }
        let messages: [WebSocketMessage]
        switch receiver.receive(frame, at: 0) {
        case .messages(let complete):
            messages = complete
        case .fail(let code, let reason):
            return fail(code: code, reason: reason, context: context)
        }
        for message in messages where !done {
            deliver(state.restore(message), context: context)
        }
    }

    private func deliver(_ message: WebSocketMessage, context: ChannelHandlerContext) {
        if waiting {
            waiting = false
            perform(script.received(message, context: state.sessionContext()), context: context)
        } else {
            inbox.append(message)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let error = error as? NIOWebSocketError, error == .invalidFrameLength {
            fail(code: 1009, reason: "frame larger than \(state.configuration.maxMessageSize) bytes", context: context)
        } else {
            fail(code: 1002, reason: "protocol error", context: context)
        }
    }

    /// Performs actions until the script waits (for the client or a timer) or ends.
    private func perform(_ first: SessionTree.Action, context: ChannelHandlerContext) {
        var action = first
        while !done {
            switch action {
            case .send(let message, let delay):
                if delay > 0 {
                    context.flush()
                    pendingSend = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(delay * 1_000_000_000))) {
                        self.pendingSend = nil
                        self.send(message, context: context)
                        self.perform(self.script.next(), context: context)
                    }
                    return
                }
                send(message, context: context)
                action = script.next()
            case .awaitClient:
                context.flush()
                guard !inbox.isEmpty else {
                    waiting = true
                    return
                }
                action = script.received(inbox.removeFirst(), context: state.sessionContext())
            case .pong(let payload):
                write(NIOWebSocket.WebSocketFrame(fin: true, opcode: .pong, data: context.channel.allocator.buffer(bytes: payload.bytes)), context: context)
                action = script.next()
            case .none(let differences):
                if !differences.isEmpty {
                    state.record(.webSocketMismatch(reference: reference, differences: differences, action: "ignored (lenient)"))
                }
                action = script.next()
            case .chose(let chosen, let released, let remaining):
                state.chose(chosen, released: released, remaining: remaining)
                reference = chosen
                action = script.next()
            case .rejected(let differences, let rejecting):
                reference = rejecting
                state.record(.webSocketMismatch(reference: rejecting, differences: differences, action: "answered with the recorded rejection"))
                action = script.next()
            case .close(let code, let reason, let differences):
                done = true
                if !differences.isEmpty {
                    state.record(.webSocketMismatch(reference: reference, differences: differences, action: "closed \(code.map(String.init) ?? "without code")"))
                }
                let closeFrame = Self.closeFrame(code: code, reason: reason, allocator: context.channel.allocator)
                context.writeAndFlush(wrapOutboundOut(closeFrame), promise: nil)
                if code == 1008 {
                    startCloseTimer(context: context)
                } else {
                    // Echo of the client's close: the handshake is complete.
                    context.close(promise: nil)
                }
                return
            case .cut:
                done = true
                state.record(.sessionEnded(reference: reference, how: "cut without a close frame, as recorded"))
                context.flush()
                context.close(promise: nil)
                return
            case .finish:
                done = true
                state.record(.sessionEnded(reference: reference, how: "finished"))
                context.flush()
                context.close(promise: nil)
                return
            }
        }
    }

    private func send(_ recorded: WebSocketMessage, context: ChannelHandlerContext) {
        let message = state.signed(recorded, epoch: script.leadingEpoch)
        for frame in Self.frames(for: message, deflater: deflater, allocator: context.channel.allocator) { write(frame, context: context) }
        if message.opcode == .close { startCloseTimer(context: context) }
    }

    private func write(_ frame: NIOWebSocket.WebSocketFrame, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(frame), promise: nil)
    }

    /// Gives the client `closeGrace` to answer a close frame, then drops the connection.
    private func startCloseTimer(context: ChannelHandlerContext) {
        guard closeTimer == nil else { return }
        closeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.closeGrace) {
            context.close(promise: nil)
        }
    }

    private func fail(code: Int, reason: String, context: ChannelHandlerContext) {
        guard !done else { return }
        done = true
        pendingSend?.cancel()
        state.record(.sessionEnded(reference: reference, how: "closed \(code): \(reason)"))
        context.writeAndFlush(wrapOutboundOut(Self.closeFrame(code: code, reason: reason, allocator: context.channel.allocator)), promise: nil)
        startCloseTimer(context: context)
    }

    static func closeFrame(code: Int?, reason: String, allocator: ByteBufferAllocator) -> NIOWebSocket.WebSocketFrame {
        let payload = WebSocketFramer.closePayload(code: code, reason: Array(reason.utf8))
        return NIOWebSocket.WebSocketFrame(fin: true, opcode: .connectionClose, data: allocator.buffer(bytes: payload))
    }

    /// The frames of a recorded server message (Wire's framer: recorded
    /// fragmentation, RSV1 on the first frame when compressed by `deflater`).
    static func frames(for message: WebSocketMessage, deflater: PerMessageDeflater?, allocator: ByteBufferAllocator) -> [NIOWebSocket.WebSocketFrame] {
        WebSocketFramer.frames(for: message, deflater: deflater).map { NIOWebSocket.WebSocketFrame($0, maskKey: nil, allocator: allocator) }
    }
}
