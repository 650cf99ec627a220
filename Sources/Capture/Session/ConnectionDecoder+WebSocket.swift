import PerMessageDeflate
import TrafficModel

/// The WebSocket half of a connection being decoded.
struct WebSocketState: Sendable {
    var parsers: DirectionPair<WebSocketFrameParser>
    var assemblers: DirectionPair<WebSocketMessageAssembler>
    /// Offset in the TCP stream where each direction's WebSocket bytes begin.
    var base: DirectionPair<Int>
}

extension ConnectionDecoder {
    mutating func startWebSocket(subprotocol: String?, extensions: String?, leftovers: DirectionPair<(bytes: [UInt8], offset: Int)>) {
        var deflate: PerMessageDeflateParameters?
        do {
            deflate = try PerMessageDeflateParameters.negotiated(fromResponseHeader: extensions)
        } catch {
            session.anomalies.append(Anomaly(kind: .protocolViolation, detail: "\(error); messages are read without decompression"))
        }
        websocket = WebSocketState(
            parsers: DirectionPair(repeating: WebSocketFrameParser(limits: limits.websocket)),
            assemblers: DirectionPair(
                client: WebSocketMessageAssembler(direction: .client, deflate: deflate, limits: limits.websocket),
                server: WebSocketMessageAssembler(direction: .server, deflate: deflate, limits: limits.websocket)
            ),
            base: DirectionPair(client: leftovers.client.offset, server: leftovers.server.offset)
        )
        session.websocket = WebSocketSession(subprotocol: subprotocol, extensions: extensions, messages: [])
        mode = .websocket
        for direction in [Direction.client, .server] {
            let bytes = leftovers[direction].bytes
            guard !bytes.isEmpty else { continue }
            websocket!.parsers[direction].append(bytes)
            pumpWebSocket(direction)
        }
    }

    mutating func pumpWebSocket(_ direction: Direction) {
        guard !failed[direction] else { return }
        do {
            while let frame = try websocket!.parsers[direction].nextFrame() {
                for event in websocket!.assemblers[direction].push(frame) { handle(event, from: direction) }
            }
        } catch {
            let at = clocks[direction].lastTime ?? session.start
            fail(direction, kind: .malformedWebSocket, at: at, detail: "\(error)")
        }
    }

    mutating func handle(_ event: WebSocketAssemblyEvent, from direction: Direction) {
        let base = websocket!.base[direction]
        switch event {
        case .message(let m):
            let at = clocks[direction].time(endingAt: base + m.endOffset)
            clocks[direction].release(before: base + m.endOffset)
            session.websocket!.messages.append(Self.message(m, from: direction, at: at))
        case .violation(let v):
            let at = clocks[direction].time(endingAt: base + v.offset + 1)
            session.anomalies.append(Anomaly(kind: v.kind, direction: direction, at: at, detail: v.detail))
        }
    }

    /// The recorded form: `frames` only when the layout is not one plain
    /// frame (fragmented, unusual RSV bits, or masking against the RFC).
    static func message(_ m: AssembledWebSocketMessage, from direction: Direction, at: Double) -> WebSocketMessage {
        let plain = m.frames.count == 1 && m.frames[0].fin && m.frames[0].rsv == (m.compressed ? 4 : 0)
            && m.frames[0].masked == (direction == .client) && !m.payloadIsCompressed
        let payload: Body
        if let text = m.text {
            payload = .text(text)  // validated once, by the assembler
        } else if m.opcode == .binary || m.payloadIsCompressed {
            payload = .binary(m.payload)
        } else {
            payload = Body(bytes: m.payload)
        }
        return WebSocketMessage(
            direction: direction, at: at, opcode: m.opcode, payload: payload, closeCode: m.closeCode,
            compressed: m.compressed, frames: plain ? nil : m.frames
        )
    }
}
