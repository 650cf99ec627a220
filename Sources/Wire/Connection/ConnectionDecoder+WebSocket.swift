public import TrafficModel

/// The WebSocket half of a connection being decoded.
package struct WebSocketState: Sendable {
    package var parsers: DirectionPair<WebSocketFrameParser>
    package var assemblers: DirectionPair<WebSocketMessageAssembler>
    /// Offset in the TCP stream where each direction's WebSocket bytes begin.
    package var base: DirectionPair<Int>
}

extension ConnectionDecoder {
    package mutating func startWebSocket(subprotocol: String?, extensions: String?, leftovers: DirectionPair<(bytes: [UInt8], offset: Int)>) {
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

    package mutating func pumpWebSocket(_ direction: Direction) {
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

    package mutating func handle(_ event: WebSocketAssemblyEvent, from direction: Direction) {
        let base = websocket!.base[direction]
        switch event {
        case .message(let m):
            let at = clocks[direction].time(endingAt: base + m.endOffset)
            clocks[direction].release(before: base + m.endOffset)
            session.websocket!.messages.append(m.recorded(from: direction, at: at))
            if direction == .client { completed.append(.message(index: session.websocket!.messages.count - 1)) }
        case .violation(let v):
            let at = clocks[direction].time(endingAt: base + v.offset + 1)
            session.anomalies.append(Anomaly(kind: v.kind, direction: direction, at: at, detail: v.detail))
        }
    }
}
