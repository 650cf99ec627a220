public import TrafficModel

/// Turns the frames of one direction into messages (RFC 6455 §5.4), inflating
/// permessage-deflate messages (RFC 7692), and reports every breach it sees
/// without dropping the message concerned.
///
/// Control frames are emitted as soon as they arrive, also in the middle of a
/// fragmented data message.
public struct WebSocketMessageAssembler: Sendable {
    public let direction: Direction
    public let deflate: PerMessageDeflateParameters?
    public let limits: WebSocketLimits

    private struct PartialMessage {
        package var opcode: WebSocketOpcode
        package var compressed: Bool
        /// Wire payload so far (still compressed when `compressed`).
        package var payload: [UInt8]
        package var frames: [WebSocketFrameInfo]
        package var startOffset: Int
        package var endOffset: Int
        /// Payload bytes dropped because `maxMessageBytes` was reached.
        package var droppedBytes = 0
    }

    private var partial: PartialMessage?
    private var inflater: PerMessageInflater?

    /// `direction` is the sender of the frames; `deflate` the parameters the
    /// 101 accepted (nil: no permessage-deflate).
    public init(direction: Direction, deflate: PerMessageDeflateParameters?, limits: WebSocketLimits = .default) {
        self.direction = direction
        self.deflate = deflate
        self.limits = limits
        self.inflater = deflate.map { PerMessageInflater(noContextTakeover: $0.noContextTakeover(for: direction)) }
    }

    /// True while a fragmented data message waits for its last frame.
    public var hasPartialMessage: Bool { partial != nil }

    public mutating func push(_ frame: WebSocketFrame) -> [WebSocketAssemblyEvent] {
        var events: [WebSocketAssemblyEvent] = []
        func violation(_ detail: String) {
            events.append(.violation(WebSocketViolation(kind: .protocolViolation, detail: detail, offset: frame.startOffset)))
        }

        if frame.nonMinimalLength {
            violation("payload length \(frame.payload.count) is not encoded in the minimal number of bytes (RFC 6455 §5.2)")
        }
        switch direction {
        case .client where !frame.masked:
            violation("client frame is not masked (RFC 6455 §5.1)")
        case .server where frame.masked:
            violation("server frame is masked (RFC 6455 §5.1)")
        case .client, .server:
            break
        }
        guard let opcode = frame.opcode else {
            let hex = String(frame.opcodeCode, radix: 16, uppercase: true)
            violation("reserved opcode 0x\(hex) (RFC 6455 §5.2); the \(frame.payload.count)-byte frame is dropped")
            return events
        }
        checkReservedBits(of: frame, opcode: opcode, violation: violation)

        switch opcode {
        case .close, .ping, .pong:
            if frame.payload.count > 125 {
                violation("\(opcode.rawValue) frame payload is \(frame.payload.count) bytes, over 125 (RFC 6455 §5.5)")
            }
            if !frame.fin {
                violation("\(opcode.rawValue) frame is fragmented (FIN not set) (RFC 6455 §5.5)")
            }
            events += controlMessage(frame, opcode: opcode)
        case .text, .binary:
            if partial != nil {
                violation("\(opcode.rawValue) frame starts a new message while a fragmented message is unfinished (RFC 6455 §5.4); the unfinished one is kept as it is")
                events += finishPartialMessage()
            }
            let compressed = deflate != nil && frame.rsv & 0x4 != 0
            startMessage(frame, opcode: opcode, compressed: compressed)
        case .continuation:
            if partial == nil {
                violation("continuation frame with no message in progress (RFC 6455 §5.4); kept as a binary message")
                startMessage(frame, opcode: .binary, compressed: false)
            } else {
                appendFrame(frame, opcode: opcode)
            }
        }
        if opcode.isControl == false && frame.fin {
            events += finishPartialMessage()
        }
        return events
    }

    /// Call at the end of the stream: emits an unfinished fragmented message.
    public mutating func finish() -> [WebSocketAssemblyEvent] {
        guard let partial else { return [] }
        let detail = "the stream ended inside a fragmented \(partial.opcode.rawValue) message after \(partial.frames.count) frame(s)"
        return [.violation(WebSocketViolation(kind: .protocolViolation, detail: detail, offset: partial.startOffset))]
            + finishPartialMessage()
    }

    private func checkReservedBits(of frame: WebSocketFrame, opcode: WebSocketOpcode, violation: (String) -> Void) {
        if frame.rsv & 0x3 != 0 {
            violation("RSV2/RSV3 set (rsv=0b\(String(frame.rsv, radix: 2))) but no negotiated extension defines them (RFC 6455 §5.2)")
        }
        guard frame.rsv & 0x4 != 0 else { return }
        if deflate == nil {
            violation("RSV1 set but no extension was negotiated (RFC 6455 §5.2)")
            return
        }
        switch opcode {
        case .continuation:
            violation("RSV1 set on a continuation frame (RFC 7692 §6.1: only the first frame of a message carries it)")
        case .close, .ping, .pong:
            violation("RSV1 set on a \(opcode.rawValue) frame (RFC 7692 §6.1: control frames are never compressed)")
        case .text, .binary:
            break
        }
    }

    private mutating func startMessage(_ frame: WebSocketFrame, opcode: WebSocketOpcode, compressed: Bool) {
        partial = PartialMessage(
            opcode: opcode, compressed: compressed, payload: [], frames: [],
            startOffset: frame.startOffset, endOffset: frame.endOffset
        )
        appendFrame(frame, opcode: frame.opcode ?? opcode)
    }

    private mutating func appendFrame(_ frame: WebSocketFrame, opcode: WebSocketOpcode) {
        guard var message = partial else { return }
        partial = nil  // keeps `message.payload` uniquely referenced while it grows
        message.frames.append(frameInfo(frame, opcode: opcode))
        message.endOffset = frame.endOffset
        let room = max(0, limits.maxMessageBytes - message.payload.count)
        if message.payload.isEmpty && frame.payload.count <= room {
            message.payload = frame.payload  // the common single-frame message: no copy
        } else if frame.payload.count <= room {
            message.payload += frame.payload
        } else {
            message.payload += frame.payload[0..<room]
            message.droppedBytes += frame.payload.count - room
        }
        partial = message
    }

    private func frameInfo(_ frame: WebSocketFrame, opcode: WebSocketOpcode) -> WebSocketFrameInfo {
        WebSocketFrameInfo(fin: frame.fin, opcode: opcode, rsv: frame.rsv, length: frame.payload.count, masked: frame.masked)
    }

    private mutating func finishPartialMessage() -> [WebSocketAssemblyEvent] {
        guard let message = partial else { return [] }
        partial = nil
        var events: [WebSocketAssemblyEvent] = []
        func report(_ kind: Anomaly.Kind, _ detail: String) {
            events.append(.violation(WebSocketViolation(kind: kind, detail: detail, offset: message.startOffset)))
        }
        if message.droppedBytes > 0 {
            report(.limit, "message over the \(limits.maxMessageBytes)-byte limit (WebSocketLimits.maxMessageBytes): the last \(message.droppedBytes) wire bytes were dropped")
        }
        var payload = message.payload
        var payloadIsCompressed = false
        var truncated = message.droppedBytes > 0 || !(message.frames.last?.fin ?? false)
        if message.compressed, var inflater = self.inflater {
            // Moved out so the zlib stream stays uniquely referenced and is
            // not copied (copy-on-write) for every message.
            self.inflater = nil
            let (output, outcome) = inflater.inflate(message.payload, limit: limits.maxMessageBytes)
            self.inflater = inflater
            switch outcome {
            case .complete:
                payload = output
            case .overLimit:
                payload = output
                truncated = true
                report(.limit, "decompression bomb / message over limit: inflating stopped at the \(limits.maxMessageBytes)-byte limit (WebSocketLimits.maxMessageBytes), \(message.payload.count) compressed bytes")
            case .corrupt(let reason):
                payloadIsCompressed = true
                report(.decompression, "permessage-deflate data did not inflate (\(reason)); the \(message.payload.count) compressed bytes are kept as sent")
            }
        }
        var text: String?
        if message.opcode == .text && !payloadIsCompressed && !truncated {
            text = String(validating: payload, as: UTF8.self)
            if text == nil {
                events.append(.violation(WebSocketViolation(
                    kind: .protocolViolation, detail: "text message is not valid UTF-8 (RFC 6455 §8.1); the bytes are kept",
                    offset: message.startOffset, closeCode: 1007)))
            }
        }
        events.append(.message(AssembledWebSocketMessage(
            opcode: message.opcode, payload: payload, text: text, compressed: message.compressed,
            payloadIsCompressed: payloadIsCompressed, frames: message.frames,
            startOffset: message.startOffset, endOffset: message.endOffset
        )))
        return events
    }

    private func controlMessage(_ frame: WebSocketFrame, opcode: WebSocketOpcode) -> [WebSocketAssemblyEvent] {
        var events: [WebSocketAssemblyEvent] = []
        var payload = frame.payload
        var closeCode: Int?
        if opcode == .close {
            func violation(_ detail: String) {
                events.append(.violation(WebSocketViolation(kind: .protocolViolation, detail: detail, offset: frame.startOffset)))
            }
            switch payload.count {
            case 0:
                break
            case 1:
                violation("close frame payload is 1 byte; a close body starts with a 2-byte status code (RFC 6455 §5.5.1)")
            default:
                let code = Int(payload[0]) << 8 | Int(payload[1])
                closeCode = code
                payload.removeFirst(2)
                if !WebSocketMessageAssembler.isValidCloseCode(code) {
                    violation("close code \(code) must not be sent on the wire (RFC 6455 §7.4)")
                }
                if !WebSocketMessageAssembler.isValidUTF8(payload) {
                    violation("close reason is not valid UTF-8 (RFC 6455 §5.5.1); the bytes are kept")
                }
            }
        }
        events.append(.message(AssembledWebSocketMessage(
            opcode: opcode, payload: payload, closeCode: closeCode, compressed: false,
            frames: [frameInfo(frame, opcode: opcode)], startOffset: frame.startOffset, endOffset: frame.endOffset
        )))
        return events
    }

    /// RFC 6455 §7.4.1/§7.4.2 plus the IANA-registered 1012–1014; 1004–1006
    /// and 1015 are reserved and never sent, 1016–2999 are unassigned.
    package static func isValidCloseCode(_ code: Int) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: return true
        default: return false
        }
    }

    /// Close reasons (RFC 6455 §5.5.1); text messages are checked by making their String.
    package static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        String(validating: bytes, as: UTF8.self) != nil
    }
}
