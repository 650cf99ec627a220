import NIOCore
import NIOWebSocket
import PerMessageDeflate
import TrafficModel

/// Runs a `SessionScript` on an upgraded connection: performs its actions
/// (send, wait, close, cut) and feeds it complete client messages. With
/// permessage-deflate agreed, the messages recorded compressed are sent
/// compressed (RSV1) and compressed client messages are inflated, within
/// `maxMessageSize` after inflating.
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
    private var fragments: (opcode: TrafficModel.WebSocketOpcode, compressed: Bool, bytes: [UInt8])?
    /// Compresses server messages; nil without permessage-deflate or when the
    /// agreed window is too small for zlib (messages then go uncompressed).
    private let deflater: PerMessageDeflater?
    /// Inflates client messages sent with RSV1; nil without permessage-deflate.
    private var inflater: PerMessageInflater?
    private let deflate: PerMessageDeflateAgreement?
    private var pendingSend: Scheduled<Void>?
    private var closeTimer: Scheduled<Void>?
    private var done = false

    init(script: SessionScript, reference: RecordedReference, deflate: PerMessageDeflateAgreement?, state: SharedState) {
        self.script = script
        self.reference = reference
        self.state = state
        self.deflate = deflate
        if let deflate {
            let parameters = deflate.parameters
            deflater = deflate.serverCanCompress
                ? PerMessageDeflater(windowBits: parameters.serverMaxWindowBits, noContextTakeover: parameters.serverNoContextTakeover)
                : nil
            inflater = PerMessageInflater(noContextTakeover: parameters.clientNoContextTakeover)
        } else {
            deflater = nil
            inflater = nil
        }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let compression = deflate.map { ", \($0.header)" } ?? ""
        state.configuration.log?("websocket \(reference) upgraded, \(script.steps.count) steps\(compression)")
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
        if frame.rsv2 || frame.rsv3 {
            return fail(code: 1002, reason: "RSV2/RSV3 set without a negotiated extension", context: context)
        }
        if frame.rsv1 {
            // RFC 7692 §6: RSV1 only on the first frame of a data message, and
            // only when permessage-deflate was agreed on.
            guard inflater != nil else { return fail(code: 1002, reason: "RSV1 set without permessage-deflate", context: context) }
            guard frame.opcode == .text || frame.opcode == .binary else {
                return fail(code: 1002, reason: "RSV1 set on a control or continuation frame", context: context)
            }
        }
        var data = frame.unmaskedData
        let bytes = data.readBytes(length: data.readableBytes) ?? []
        let message: WebSocketMessage
        switch frame.opcode {
        case .text, .binary:
            guard fragments == nil else { return fail(code: 1002, reason: "new message inside a fragmented one", context: context) }
            let opcode: TrafficModel.WebSocketOpcode = frame.opcode == .text ? .text : .binary
            guard frame.fin else {
                fragments = (opcode, frame.rsv1, bytes)
                return
            }
            guard let complete = dataMessage(opcode, compressed: frame.rsv1, bytes, context: context) else { return }
            message = complete
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
            guard let complete = dataMessage(partial.opcode, compressed: partial.compressed, partial.bytes, context: context) else { return }
            message = complete
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

    /// A complete client data message, inflated when it was sent compressed;
    /// nil when the session was failed instead (over the limit, corrupt data).
    private func dataMessage(
        _ opcode: TrafficModel.WebSocketOpcode, compressed: Bool, _ bytes: [UInt8], context: ChannelHandlerContext
    ) -> WebSocketMessage? {
        guard compressed, var inflater else {
            return WebSocketMessage(direction: .client, at: 0, opcode: opcode, payload: Body(bytes: bytes))
        }
        let limit = state.configuration.maxMessageSize
        // Out of the handler while inflating, so the stream is uniquely referenced (no copy).
        self.inflater = nil
        let (output, outcome) = inflater.inflate(bytes, limit: limit)
        self.inflater = inflater
        switch outcome {
        case .complete:
            return WebSocketMessage(direction: .client, at: 0, opcode: opcode, payload: Body(bytes: output), compressed: true)
        case .overLimit:
            fail(code: 1009, reason: "message larger than \(limit) bytes after inflating", context: context)
        case .corrupt:
            fail(code: 1007, reason: "permessage-deflate data does not inflate", context: context)
        }
        return nil
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
        for frame in Self.frames(for: message, deflater: deflater, allocator: context.channel.allocator) { write(frame, context: context) }
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
    /// when that fits the payload. A message recorded compressed is compressed
    /// by `deflater` (RSV1 on its first frame) when there is one; otherwise it
    /// goes uncompressed. RSV2/RSV3 are never sent: no extension defines them.
    static func frames(for message: WebSocketMessage, deflater: PerMessageDeflater?, allocator: ByteBufferAllocator) -> [WebSocketFrame] {
        var payload = message.payload.bytes
        switch message.opcode {
        case .close:
            return [closeFrame(code: message.closeCode, reason: message.closeReason ?? "", allocator: allocator)]
        case .ping:
            return [WebSocketFrame(fin: true, opcode: .ping, data: allocator.buffer(bytes: payload))]
        case .pong:
            return [WebSocketFrame(fin: true, opcode: .pong, data: allocator.buffer(bytes: payload))]
        case .text, .binary, .continuation:
            let opcode: NIOWebSocket.WebSocketOpcode = message.opcode == .binary ? .binary : .text
            let compress = message.compressed && deflater != nil
            if compress, let deflater { payload = deflater.compress(payload) }
            // A compressed layout fits when this deflater produced the recorded
            // compressed length (same zlib settings), which keeps the wire identical.
            if let layout = message.frames, layout.count > 1, compress || !message.compressed,
               layout.reduce(0, { $0 + $1.length }) == payload.count {
                var offset = 0
                return layout.enumerated().map { index, info in
                    defer { offset += info.length }
                    return WebSocketFrame(
                        fin: index == layout.count - 1 ? true : info.fin, rsv1: compress && index == 0,
                        opcode: index == 0 ? opcode : .continuation,
                        data: allocator.buffer(bytes: payload[offset..<offset + info.length])
                    )
                }
            }
            return [WebSocketFrame(fin: true, rsv1: compress, opcode: opcode, data: allocator.buffer(bytes: payload))]
        }
    }
}
