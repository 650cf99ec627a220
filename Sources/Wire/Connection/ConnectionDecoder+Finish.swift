public import TrafficModel

extension ConnectionDecoder {
    /// Ends the connection: completes close-delimited bodies, reports what was
    /// cut short, attaches raw bytes to their anomaly, and returns the session.
    package mutating func finish(kind: TCPCloseKind, by wireBy: Direction?, at: Double, captureTruncated: Bool) -> Session {
        if tls != nil { finishTLS(at: at) }
        switch mode {
        case .http:
            finishHTTP(at: at)
        case .websocket:
            for direction in [Direction.client, .server] where !failed[direction] {
                for event in websocket!.assemblers[direction].finish() { handle(event, from: direction) }
                let partial = websocket!.parsers[direction].bufferedBytes
                if !partial.isEmpty {
                    session.anomalies.append(Anomaly(
                        kind: .truncated, direction: direction, at: at,
                        detail: "the stream ended inside a WebSocket frame (\(partial.count) bytes of it seen)",
                        bytes: partial.count, data: .binary(Array(partial.prefix(limits.maxRawBytes)))
                    ))
                }
            }
        case .undecided, .undecoded:
            break
        }
        for direction in [Direction.client, .server] {
            let bytes = raw[direction]
            guard !bytes.isEmpty else { continue }
            let dropped = rawDropped[direction]
            if let index = rawAnomaly[direction] {
                session.anomalies[index].data = Body(bytes: bytes)
                session.anomalies[index].bytes = bytes.count + dropped
                if dropped > 0 { session.anomalies[index].detail += "; \(dropped) bytes past the \(limits.maxRawBytes)-byte keep limit were dropped" }
            } else {
                session.anomalies.append(Anomaly(kind: .malformedHTTP, direction: direction, detail: "bytes that are not HTTP", bytes: bytes.count + dropped, data: Body(bytes: bytes)))
            }
        }
        for index in awaitingResponse where session.exchanges[index].response == nil && !interim.isEmpty {
            // Only interim responses came back: keep them on a synthetic note.
            session.anomalies.append(Anomaly(kind: .truncated, direction: .server, at: at, detail: "request \(index) got only interim responses (\(interim.map { String($0.status) }.joined(separator: ", ")))"))
            interim = []
        }
        if captureTruncated {
            session.anomalies.append(Anomaly(kind: .truncated, at: at, detail: "the capture file ended (truncated) while this connection was open"))
        }
        let endKind: SessionEnd.Kind
        switch kind {
        case .fin: endKind = .closed
        case .reset: endKind = .reset
        case .cut: endKind = .cut
        case .limit:
            endKind = .cut
            session.anomalies.append(Anomaly(kind: .limit, at: at, detail: "the connection table was full; this connection was ended early"))
        }
        session.end = SessionEnd(kind: endKind, at: at, by: wireBy.map(role))
        session.engineIO = EngineIOReadable.link(session)
        return session
    }

    private mutating func finishHTTP(at: Double) {
        if !failed.client {
            do {
                while let event = try requestParser.finish() { handleRequest(event) }
            } catch {
                fail(.client, kind: .truncated, at: at, detail: "the stream ended inside a request: \(error)")
            }
        }
        if !failed.server {
            do {
                while mode == .http, let event = try responseParser.finish() { handleResponse(event) }
            } catch {
                fail(.server, kind: .truncated, at: at, detail: "the stream ended inside a response: \(error)")
            }
        }
    }
}
