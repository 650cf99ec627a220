import PerMessageDeflate
import TrafficModel

/// The WebSocket half of a connection being decoded.
struct WebSocketState: Sendable {
    var parsers: [Direction: WebSocketFrameParser]
    var assemblers: [Direction: WebSocketMessageAssembler]
    /// Offset in the TCP stream where each direction's WebSocket bytes begin.
    var base: [Direction: Int]
}

extension ConnectionDecoder {
    mutating func startWebSocket(subprotocol: String?, extensions: String?, leftovers: [Direction: ([UInt8], Int)]) {
        var deflate: PerMessageDeflateParameters?
        do {
            deflate = try PerMessageDeflateParameters.negotiated(fromResponseHeader: extensions)
        } catch {
            session.anomalies.append(Anomaly(kind: .protocolViolation, detail: "\(error); messages are read without decompression"))
        }
        var state = WebSocketState(parsers: [:], assemblers: [:], base: [:])
        for direction in [Direction.client, .server] {
            state.parsers[direction] = WebSocketFrameParser(limits: limits.websocket)
            state.assemblers[direction] = WebSocketMessageAssembler(direction: direction, deflate: deflate, limits: limits.websocket)
            state.base[direction] = leftovers[direction]?.1 ?? clocks[direction]!.end
        }
        websocket = state
        session.websocket = WebSocketSession(subprotocol: subprotocol, extensions: extensions, messages: [])
        mode = .websocket
        for direction in [Direction.client, .server] {
            guard let bytes = leftovers[direction]?.0, !bytes.isEmpty else { continue }
            websocket!.parsers[direction]!.append(bytes)
            pumpWebSocket(direction)
        }
    }

    mutating func pumpWebSocket(_ direction: Direction) {
        guard !failed.contains(direction) else { return }
        do {
            while let frame = try websocket!.parsers[direction]!.nextFrame() {
                for event in websocket!.assemblers[direction]!.push(frame) { handle(event, from: direction) }
            }
        } catch {
            let at = clocks[direction]!.lastTime ?? session.start
            fail(direction, kind: .malformedWebSocket, at: at, detail: "\(error)")
        }
    }

    mutating func handle(_ event: WebSocketAssemblyEvent, from direction: Direction) {
        let base = websocket!.base[direction]!
        switch event {
        case .message(let m):
            let at = clocks[direction]!.time(endingAt: base + m.endOffset)
            clocks[direction]!.release(before: base + m.endOffset)
            session.websocket!.messages.append(Self.message(m, from: direction, at: at))
        case .violation(let v):
            let at = clocks[direction]!.time(endingAt: base + v.offset + 1)
            session.anomalies.append(Anomaly(kind: v.kind, direction: direction, at: at, detail: v.detail))
        }
    }

    /// The recorded form: `frames` only when the layout is not one plain
    /// frame (fragmented, unusual RSV bits, or masking against the RFC).
    static func message(_ m: AssembledWebSocketMessage, from direction: Direction, at: Double) -> WebSocketMessage {
        let plain = m.frames.count == 1 && m.frames[0].fin && m.frames[0].rsv == (m.compressed ? 4 : 0)
            && m.frames[0].masked == (direction == .client) && !m.payloadIsCompressed
        let payload: Body = m.opcode == .binary || m.payloadIsCompressed ? .binary(m.payload) : Body(bytes: m.payload)
        return WebSocketMessage(
            direction: direction, at: at, opcode: m.opcode, payload: payload, closeCode: m.closeCode,
            compressed: m.compressed, frames: plain ? nil : m.frames
        )
    }
}
