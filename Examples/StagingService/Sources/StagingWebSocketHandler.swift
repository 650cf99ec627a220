import Foundation
import NIOCore
import NIOWebSocket
import TrafficModel

/// One upgraded `/ws` connection: the agent conversation for an admitted
/// user, or the `AUTH_REQUIRED` error frame and close 1008.
final class StagingWebSocketHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// How long to wait for the client's close reply after sending a close frame.
    static let closeGrace: TimeAmount = .seconds(3)

    private let admission: WebSocketAdmission
    private let api: StagingAPI
    private var conversation: AgentConversation?
    private var fragments: (opcode: NIOWebSocket.WebSocketOpcode, bytes: [UInt8])?
    private var closing = false
    private var closeTimer: Scheduled<Void>?

    init(admission: WebSocketAdmission, api: StagingAPI) {
        self.admission = admission
        self.api = api
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let now = api.configuration.clock()
        switch admission {
        case .accept(let userID, _):
            let conversation = AgentConversation(userID: userID, connectionID: UUID().uuidString.lowercased())
            self.conversation = conversation
            sendText(conversation.established(now: now), context: context)
            context.flush()
        case .fail(let error, _):
            sendText(api.authRequiredFrame(error: error, now: now), context: context)
            close(code: 1008, reason: "auth required", context: context)
        case .refuse:
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closeTimer?.cancel()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        var payload = frame.unmaskedData
        let bytes = payload.readBytes(length: payload.readableBytes) ?? []
        switch frame.opcode {
        case .connectionClose:
            if closing {
                context.close(promise: nil)
            } else {
                // Echo the client's close code (RFC 6455 §5.5.1), then end the connection.
                closing = true
                let code = bytes.count >= 2 ? Int(bytes[0]) << 8 | Int(bytes[1]) : nil
                let frame = Self.closeFrame(code: code, reason: "", allocator: context.channel.allocator)
                context.writeAndFlush(wrapOutboundOut(frame)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
            }
            return
        case .ping:
            write(WebSocketFrame(fin: true, opcode: .pong, data: context.channel.allocator.buffer(bytes: bytes)), context: context)
            context.flush()
            return
        case .pong:
            return
        default:
            break
        }
        guard !closing else { return }
        let message: (opcode: NIOWebSocket.WebSocketOpcode, bytes: [UInt8])
        switch frame.opcode {
        case .text, .binary:
            guard fragments == nil else { return close(code: 1002, reason: "new message inside a fragmented one", context: context) }
            guard frame.fin else {
                fragments = (frame.opcode, bytes)
                return
            }
            message = (frame.opcode, bytes)
        case .continuation:
            guard var partial = fragments else { return close(code: 1002, reason: "continuation without a message", context: context) }
            partial.bytes += bytes
            guard partial.bytes.count <= StagingPipeline.maxMessageSize else {
                return close(code: 1009, reason: "message too large", context: context)
            }
            guard frame.fin else {
                fragments = partial
                return
            }
            fragments = nil
            message = partial
        default:
            return close(code: 1002, reason: "unknown opcode", context: context)
        }
        if message.opcode == .binary {
            write(WebSocketFrame(fin: true, opcode: .binary, data: context.channel.allocator.buffer(bytes: message.bytes)), context: context)
        } else if let conversation {
            let text = String(decoding: message.bytes, as: UTF8.self)
            for answer in conversation.reply(to: text, now: api.configuration.clock(), runID: { UUID().uuidString.lowercased() }) {
                sendText(answer, context: context)
            }
        }
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let error = error as? NIOWebSocketError, error == .invalidFrameLength {
            close(code: 1009, reason: "frame too large", context: context)
        } else {
            close(code: 1002, reason: "protocol error", context: context)
        }
    }

    private func sendText(_ value: JSONValue, context: ChannelHandlerContext) {
        let buffer = context.channel.allocator.buffer(string: JSONWriter.compact(value))
        write(WebSocketFrame(fin: true, opcode: .text, data: buffer), context: context)
    }

    private func write(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(frame), promise: nil)
    }

    /// Sends a close frame and waits `closeGrace` for the client's reply.
    private func close(code: Int, reason: String, context: ChannelHandlerContext) {
        guard !closing else { return }
        closing = true
        context.writeAndFlush(wrapOutboundOut(Self.closeFrame(code: code, reason: reason, allocator: context.channel.allocator)), promise: nil)
        closeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.closeGrace) {
            context.close(promise: nil)
        }
    }

    static func closeFrame(code: Int?, reason: String, allocator: ByteBufferAllocator) -> WebSocketFrame {
        var buffer = allocator.buffer(capacity: 2 + reason.utf8.count)
        if let code {
            buffer.writeInteger(UInt16(clamping: code))
            buffer.writeString(reason)
        }
        return WebSocketFrame(fin: true, opcode: .connectionClose, data: buffer)
    }
}
