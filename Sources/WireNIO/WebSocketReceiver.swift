public import NIOCore
public import NIOWebSocket
public import TrafficModel
public import Wire

/// The receiving end of one WebSocket direction at an endpoint (the mock
/// receives client frames, Replay server frames): NIO's decoded frames go
/// through Wire's one message reassembler, the one Capture records with, so
/// an endpoint and a recorder agree on every message. Where a recorder keeps
/// a violation as an anomaly, an endpoint fails the connection with the
/// violation's close code (RFC 6455 §7.1.7).
package struct WebSocketReceiver {
    package enum Outcome {
        /// Complete messages (data messages reassembled, control frames as they came).
        case messages([WebSocketMessage])
        /// Close the connection with this code; the reason fits a close frame.
        case fail(code: Int, reason: String)
    }

    private var assembler: WebSocketMessageAssembler
    /// Bytes of this direction so far, for the offsets in violations.
    private var offset = 0
    private let sender: Direction

    /// - Parameters:
    ///   - sender: who sends the frames received here.
    ///   - deflate: the permessage-deflate the 101 agreed on, nil for none.
    ///   - maxMessageSize: the largest message, after inflating.
    package init(sender: Direction, deflate: PerMessageDeflateParameters?, maxMessageSize: Int) {
        self.sender = sender
        let limits = WebSocketLimits(maxFramePayload: maxMessageSize, maxMessageBytes: maxMessageSize)
        assembler = WebSocketMessageAssembler(direction: sender, deflate: deflate, limits: limits)
    }

    /// One frame as NIO decoded it; `at` is the message time to record.
    package mutating func receive(_ frame: NIOWebSocket.WebSocketFrame, at: Double) -> Outcome {
        let payload = Array(frame.unmaskedData.readableBytesView)
        let headerLength = 2 + (payload.count > 65535 ? 8 : payload.count > 125 ? 2 : 0) + (frame.maskKey == nil ? 0 : 4)
        let wire = Wire.WebSocketFrame(
            fin: frame.fin, rsv: (frame.rsv1 ? 4 : 0) | (frame.rsv2 ? 2 : 0) | (frame.rsv3 ? 1 : 0),
            opcodeCode: UInt8(webSocketOpcode: frame.opcode), masked: frame.maskKey != nil, payload: payload,
            startOffset: offset, endOffset: offset + headerLength + payload.count
        )
        offset = wire.endOffset
        var messages: [WebSocketMessage] = []
        for event in assembler.push(wire) {
            switch event {
            case .message(let message):
                messages.append(message.recorded(from: sender, at: at))
            case .violation(let violation):
                return .fail(code: violation.closeCode, reason: WebSocketFramer.closeReason(fitting: violation.detail))
            }
        }
        return .messages(messages)
    }
}

extension NIOWebSocket.WebSocketFrame {
    /// A frame Wire's framer made, masked with `maskKey` when a client sends it.
    package init(_ frame: OutboundWebSocketFrame, maskKey: WebSocketMaskingKey?, allocator: ByteBufferAllocator) {
        self.init(
            fin: frame.fin, rsv1: frame.rsv1, opcode: NIOWebSocket.WebSocketOpcode(encodedWebSocketOpcode: frame.opcode.code) ?? .binary,
            maskKey: maskKey, data: allocator.buffer(bytes: frame.payload)
        )
    }
}
