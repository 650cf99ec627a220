import NIOCore
import NIOWebSocket
import TrafficModel

/// Runs a `SessionScript` on an upgraded connection: performs its actions
/// (send, wait, close, cut) and feeds it complete client messages.
final class WebSocketReplayHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// How long to wait for the client's close reply after the mock sent a close frame.
    static let closeGrace: TimeAmount = .seconds(5)

    private var script: SessionScript
    private let reference: RecordedReference
    private let state: SharedState
    /// The script is waiting for a client message.
    private var waiting = false
    /// Client messages that arrived while the script was still sending.
    private var inbox: [WebSocketMessage] = []
    private var fragments: (opcode: TrafficModel.WebSocketOpcode, bytes: [UInt8])?
    private var pendingSend: Scheduled<Void>?
    private var closeTimer: Scheduled<Void>?
    private var done = false

    init(script: SessionScript, reference: RecordedReference, state: SharedState) {
        self.script = script
        self.reference = reference
        self.state = state
    }

    func handlerAdded(context: ChannelHandlerContext) {
        state.configuration.log?("websocket \(reference) upgraded, \(script.steps.count) steps")
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
        if frame.rsv1 || frame.rsv2 || frame.rsv3 {
            return fail(code: 1002, reason: "RSV bits set without a negotiated extension", context: context)
        }
        var data = frame.unmaskedData
        let bytes = data.readBytes(length: data.readableBytes) ?? []
        let message: WebSocketMessage
        switch frame.opcode {
        case .text, .binary:
            guard fragments == nil else { return fail(code: 1002, reason: "new message inside a fragmented one", context: context) }
            let opcode: TrafficModel.WebSocketOpcode = frame.opcode == .text ? .text : .binary
            guard frame.fin else {
                fragments = (opcode, bytes)
                return
            }
            message = WebSocketMessage(direction: .client, at: 0, opcode: opcode, payload: Body(bytes: bytes))
        case .continuation:
            guard var partial = fragments else { return fail(code: 1002, reason: "continuation without a message", context: context) }
            partial.bytes += bytes
            guard partial.bytes.count <= state.configuration.maxMessageSize else {
                return fail(code: 1009, reason: "message larger than \(state.configuration.maxMessageSize) bytes", context: context)
            }
            guard frame.fin else {
                fragments = partial
                return
            }
            fragments = nil
            message = WebSocketMessage(direction: .client, at: 0, opcode: partial.opcode, payload: Body(bytes: partial.bytes))
        case .connectionClose:
            let code = bytes.count >= 2 ? Int(bytes[0]) << 8 | Int(bytes[1]) : nil
            let reason = bytes.count > 2 ? Body(bytes: Array(bytes[2...])) : .text("")
            message = WebSocketMessage(direction: .client, at: 0, opcode: .close, payload: reason, closeCode: code)
        case .ping:
            message = WebSocketMessage(direction: .client, at: 0, opcode: .ping, payload: Body(bytes: bytes))
        case .pong:
            message = WebSocketMessage(direction: .client, at: 0, opcode: .pong, payload: Body(bytes: bytes))
        default:
            return fail(code: 1002, reason: "unknown opcode", context: context)
        }
        if waiting {
            waiting = false
            perform(script.received(message), context: context)
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
    private func perform(_ first: SessionScript.Action, context: ChannelHandlerContext) {
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
                action = script.received(inbox.removeFirst())
            case .pong(let payload):
                write(WebSocketFrame(fin: true, opcode: .pong, data: context.channel.allocator.buffer(bytes: payload.bytes)), context: context)
                action = script.next()
            case .none(let differences):
                if !differences.isEmpty {
                    state.record(.webSocketMismatch(reference: reference, differences: differences, action: "ignored (lenient)"))
                }
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

    private func send(_ message: WebSocketMessage, context: ChannelHandlerContext) {
        for frame in Self.frames(for: message, allocator: context.channel.allocator) { write(frame, context: context) }
        if message.opcode == .close { startCloseTimer(context: context) }
    }

    private func write(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
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

    static func closeFrame(code: Int?, reason: String, allocator: ByteBufferAllocator) -> WebSocketFrame {
        var buffer = allocator.buffer(capacity: 2 + reason.utf8.count)
        if let code {
            buffer.writeInteger(UInt16(clamping: code))
            buffer.writeString(reason)
        }
        return WebSocketFrame(fin: true, opcode: .connectionClose, data: buffer)
    }

    /// The frames of a recorded server message, with its recorded fragmentation
    /// when that fits the payload. RSV bits are not reproduced: no extension is negotiated.
    static func frames(for message: WebSocketMessage, allocator: ByteBufferAllocator) -> [WebSocketFrame] {
        let payload = message.payload.bytes
        switch message.opcode {
        case .close:
            return [closeFrame(code: message.closeCode, reason: message.closeReason ?? "", allocator: allocator)]
        case .ping:
            return [WebSocketFrame(fin: true, opcode: .ping, data: allocator.buffer(bytes: payload))]
        case .pong:
            return [WebSocketFrame(fin: true, opcode: .pong, data: allocator.buffer(bytes: payload))]
        case .text, .binary, .continuation:
            let opcode: NIOWebSocket.WebSocketOpcode = message.opcode == .binary ? .binary : .text
            if let layout = message.frames, layout.count > 1, !message.compressed,
               layout.reduce(0, { $0 + $1.length }) == payload.count {
                var offset = 0
                return layout.enumerated().map { index, info in
                    defer { offset += info.length }
                    return WebSocketFrame(
                        fin: index == layout.count - 1 ? true : info.fin,
                        opcode: index == 0 ? opcode : .continuation,
                        data: allocator.buffer(bytes: payload[offset..<offset + info.length])
                    )
                }
            }
            return [WebSocketFrame(fin: true, opcode: opcode, data: allocator.buffer(bytes: payload))]
        }
    }
}
