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
    /// The `--fault`s on the session the client is in (they follow its choice).
    private var faults: FaultPlan.WebSocketFaults
    /// Server messages sent or dropped so far (data and close frames, as replay counts them).
    private var serverMessages = 0
    /// An Engine.IO session: heartbeats are the mock's own (`EngineIOHeartbeat`),
    /// client pongs never reach the script.
    private let engineIO: Bool
    /// Live Engine.IO heartbeats, once the session negotiated them: at the
    /// `open` packet the mock sends, or for an upgrade at the client's `5`.
    private var heartbeat: EngineIOHeartbeat?
    private var heartbeatTimer: Scheduled<Void>?

    init(script: SessionTree, reference: RecordedReference, deflate: PerMessageDeflateAgreement?, state: SharedState) {
        self.script = script
        self.reference = reference
        self.state = state
        self.deflate = deflate
        faults = state.configuration.faults.webSocket(reference)
        if let deflate {
            let parameters = deflate.parameters
            deflater = deflate.serverCanCompress
                ? PerMessageDeflater(windowBits: parameters.serverMaxWindowBits, noContextTakeover: parameters.serverNoContextTakeover)
                : nil
        } else {
            deflater = nil
        }
        receiver = WebSocketReceiver(sender: .client, deflate: deflate?.parameters, maxMessageSize: state.configuration.maxMessageSize)
        engineIO = script.settings.sessionIDs != nil
        heartbeat = script.settings.heartbeat.map(EngineIOHeartbeat.init)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let compression = deflate.map { ", \($0.header)" } ?? ""
        let candidates = script.candidates.count
        let shared = candidates > 1 ? ", \(candidates) recorded sessions share the handshake" : ""
        state.configuration.log?("websocket \(reference) upgraded, \(script.leadingSteps) steps\(shared)\(compression)")
        for fault in faults.shaping { state.record(.fault(reference: reference, fault: fault.spec)) }
        if endsByFault(context: context) { return }
        perform(script.next(), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        pendingSend?.cancel()
        closeTimer?.cancel()
        heartbeatTimer?.cancel()
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
            if engineIO, heartbeatTakes(message, context: context) { continue }
            deliver(state.restore(message), context: context)
        }
    }

    /// An Engine.IO client message the heartbeat handles: a pong (never part
    /// of the script). The upgrade packet (`5`) starts the heartbeat of an
    /// upgraded session and goes on to the script.
    private func heartbeatTakes(_ message: WebSocketMessage, context: ChannelHandlerContext) -> Bool {
        if EngineIOHeartbeat.isPong(message) {
            if heartbeat != nil { performHeartbeat(heartbeat!.pong(), context: context) }
            return true
        }
        if message.opcode == .text, message.payload == .text("5"), heartbeat != nil, !heartbeat!.isRunning {
            performHeartbeat(heartbeat!.start(), context: context)
        }
        return false
    }

    /// Performs a heartbeat action: a timer, a live ping, or the close of a client that stopped answering.
    private func performHeartbeat(_ action: EngineIOHeartbeat.Action, context: ChannelHandlerContext) {
        switch action {
        case .wait(let seconds):
            scheduleHeartbeat(in: seconds, context: context)
        case .ping(let seconds):
            let ping = WebSocketMessage(direction: .server, at: 0, opcode: .text, payload: .text(EngineIOHeartbeat.ping))
            for frame in Self.frames(for: ping, deflater: deflater, allocator: context.channel.allocator) { write(frame, context: context) }
            context.flush()
            scheduleHeartbeat(in: seconds, context: context)
        case .close(let reason):
            guard !done else { return }
            done = true
            pendingSend?.cancel()
            state.record(.sessionEnded(reference: reference, how: "engine.io \(reason)"))
            context.writeAndFlush(wrapOutboundOut(Self.closeFrame(code: 1000, reason: "engine.io \(reason)", allocator: context.channel.allocator)), promise: nil)
            startCloseTimer(context: context)
        case .none:
            break
        }
    }

    private func scheduleHeartbeat(in seconds: Double, context: ChannelHandlerContext) {
        heartbeatTimer?.cancel()
        heartbeatTimer = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(seconds * 1_000_000_000))) {
            self.heartbeatTimer = nil
            guard !self.done, self.heartbeat != nil else { return }
            self.performHeartbeat(self.heartbeat!.timerFired(), context: context)
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
            case .send(let message, let recordedDelay):
                if dropsByFault(message) {
                    action = script.next()
                    continue
                }
                let delay = recordedDelay + faults.delay
                if delay > 0 {
                    context.flush()
                    pendingSend = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(delay * 1_000_000_000))) {
                        self.pendingSend = nil
                        if self.send(message, context: context) { return }
                        self.perform(self.script.next(), context: context)
                    }
                    return
                }
                if send(message, context: context) { return }
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
                faults = state.configuration.faults.webSocket(chosen)
                for fault in faults.shaping { state.record(.fault(reference: chosen, fault: fault.spec)) }
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

    /// Sends a server message; true when a `close=` fault then ended the session.
    private func send(_ recorded: WebSocketMessage, context: ChannelHandlerContext) -> Bool {
        let message = state.signed(recorded, epoch: script.leadingEpoch)
        let frames = Self.frames(for: message, deflater: deflater, maxFrameSize: faults.fragment, allocator: context.channel.allocator)
        for frame in frames { write(frame, context: context) }
        if engineIO, heartbeat == nil, let negotiated = EngineIOHeartbeat.Parameters(openPacket: message.payload) {
            // A websocket-only session: its heartbeat starts with the open packet.
            heartbeat = EngineIOHeartbeat(negotiated)
            performHeartbeat(heartbeat!.start(), context: context)
        }
        if message.opcode == .close { startCloseTimer(context: context) }
        guard Self.counts(message) else { return false }
        serverMessages += 1
        return endsByFault(context: context)
    }

    /// Pings and pongs are not numbered: replay's "server message N" counts data and close frames.
    static func counts(_ message: WebSocketMessage) -> Bool { message.opcode != .ping && message.opcode != .pong }

    /// A `drop=server-message-N` fault on this message: it is counted, journaled and not sent.
    private func dropsByFault(_ message: WebSocketMessage) -> Bool {
        guard Self.counts(message), faults.drop.contains(serverMessages + 1) else { return false }
        serverMessages += 1
        state.record(.fault(reference: reference, fault: "drop=server-message-\(serverMessages)"))
        return true
    }

    /// Performs a `close=` fault once its server messages were sent: a close
    /// frame with the code, or for 1006 the TCP connection dropped without one.
    private func endsByFault(context: ChannelHandlerContext) -> Bool {
        guard !done, let end = faults.end, serverMessages >= end.afterServerMessages else { return false }
        done = true
        pendingSend?.cancel()
        state.record(.fault(reference: reference, fault: end.fault.spec))
        if end.code == 1006 {
            state.record(.sessionEnded(reference: reference, how: "cut without a close frame by --fault \(end.fault.spec)"))
            context.flush()
            context.close(promise: nil)
        } else {
            state.record(.sessionEnded(reference: reference, how: "closed \(end.code) by --fault \(end.fault.spec)"))
            context.writeAndFlush(wrapOutboundOut(Self.closeFrame(code: end.code, reason: "fault injected", allocator: context.channel.allocator)), promise: nil)
            startCloseTimer(context: context)
        }
        return true
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
    static func frames(
        for message: WebSocketMessage, deflater: PerMessageDeflater?, maxFrameSize: Int? = nil, allocator: ByteBufferAllocator
    ) -> [NIOWebSocket.WebSocketFrame] {
        WebSocketFramer.frames(for: message, deflater: deflater, maxFrameSize: maxFrameSize).map { NIOWebSocket.WebSocketFrame($0, maskKey: nil, allocator: allocator) }
    }
}
