import TrafficModel

extension ConnectionDecoder {
    /// Parses whatever complete messages both directions now hold. Requests
    /// first: a response's framing depends on its request's method.
    package mutating func pumpHTTP(at now: Double) {
        var progress = true
        while progress && mode == .http {
            progress = false
            if !failed.client {
                do {
                    while mode == .http, let event = try requestParser.next() {
                        handleRequest(event)
                        progress = true
                    }
                } catch {
                    fail(.client, kind: .malformedHTTP, at: now, detail: "request: \(error)")
                }
            }
            if !failed.server {
                do {
                    while mode == .http, let event = try responseParser.next() {
                        handleResponse(event)
                        progress = true
                    }
                } catch {
                    fail(.server, kind: .malformedHTTP, at: now, detail: "response: \(error)")
                }
            }
        }
    }

    package mutating func handleRequest(_ event: HTTP1Event) {
        let (message, complete) = event.parts
        let at = clocks.client.time(endingAt: message.endOffset)
        clocks.client.release(before: message.endOffset)
        let request = HTTPRequest(
            at: at, method: message.method ?? "", target: message.target ?? "", version: message.version,
            headers: message.headers, body: message.body.isEmpty ? nil : Body(bytes: message.body),
            framing: message.framing, trailers: message.trailers
        )
        session.exchanges.append(HTTPExchange(request: request, response: nil))
        let index = session.exchanges.count - 1
        awaitingResponse.append(index)
        responseParser.enqueueRequestMethod(request.method)
        noteBody(message, direction: .client, at: at)
        if !complete {
            session.anomalies.append(Anomaly(kind: .truncated, direction: .client, at: at, detail: "request \(index) ended before its body was complete (\(message.body.count) bytes seen)"))
        }
        completed.append(.request(exchange: index))
    }

    package mutating func handleResponse(_ event: HTTP1Event) {
        let (message, complete) = event.parts
        let at = clocks.server.time(endingAt: message.endOffset)
        let (body, stream) = streamedBody(message, headers: message.headers, complete: complete)
        clocks.server.release(before: message.endOffset)
        let status = message.status ?? 0
        if status >= 100 && status < 200 && status != 101 {
            interim.append(InterimResponse(at: at, status: status, reason: message.reason ?? "", headers: message.headers))
            return
        }
        guard !awaitingResponse.isEmpty else {
            session.anomalies.append(Anomaly(kind: .malformedHTTP, direction: .server, at: at, detail: "a \(status) response arrived with no request waiting for it; it is not recorded as an exchange"))
            return
        }
        let index = awaitingResponse.removeFirst()
        session.exchanges[index].response = HTTPResponse(
            at: at, version: message.version, status: status, reason: message.reason ?? "", headers: message.headers,
            body: body, framing: message.framing, trailers: message.trailers, interim: interim, stream: stream
        )
        interim = []
        noteBody(message, direction: .server, at: at)
        if !complete, let stream, stream.chunks.isEmpty, body == nil {
            session.anomalies.append(Anomaly(kind: .truncated, direction: .server, at: at, detail: "the event stream of response \(index) was cut after \(stream.events.count) complete events (\(message.body.count) bytes seen); it is kept up to the last one"))
        } else if !complete {
            session.anomalies.append(Anomaly(kind: .truncated, direction: .server, at: at, detail: "response \(index) ended before its body was complete (\(message.body.count) bytes seen)"))
        }
        completed.append(.response(exchange: index))
        decideUpgrade(exchange: index, at: at)
    }

    private mutating func noteBody(_ message: HTTP1Message, direction: Direction, at: Double) {
        guard message.bodyTruncated else { return }
        session.anomalies.append(Anomaly(
            kind: .limit, direction: direction, at: at,
            detail: "body of \(message.bodyLength) bytes over the \(limits.http.maxBodyBytes)-byte limit; the first \(message.body.count) bytes are kept",
            bytes: message.bodyLength - message.body.count
        ))
    }

    /// After the response to an Upgrade or CONNECT request: switch protocols,
    /// or go back to HTTP when the server refused.
    private mutating func decideUpgrade(exchange index: Int, at: Double) {
        let exchange = session.exchanges[index]
        guard let response = exchange.response else { return }
        let isConnect = exchange.request.method == "CONNECT"
        let switched = response.status == 101 || (isConnect && (200..<300).contains(response.status))
        guard switched else {
            if requestParser.status == .awaitingUpgradeDecision { requestParser.resumeAfterRefusedUpgrade() }
            return
        }
        let clientOffset = requestParser.offset
        let serverOffset = responseParser.offset
        let leftovers = DirectionPair(
            client: (bytes: requestParser.takeRemainingBytes(), offset: clientOffset),
            server: (bytes: responseParser.takeRemainingBytes(), offset: serverOffset)
        )
        if exchange.isWebSocketUpgrade {
            let headers = response.headers
            startWebSocket(subprotocol: headers.first("Sec-WebSocket-Protocol"), extensions: headers.first("Sec-WebSocket-Extensions"), leftovers: leftovers)
        } else {
            mode = .undecoded
            let what = isConnect ? "a CONNECT tunnel" : "protocol \"\(response.headers.first("Upgrade") ?? "?")\""
            for direction in [Direction.client, .server] {
                session.anomalies.append(Anomaly(kind: .undecoded, direction: direction, at: at, detail: "the connection switched to \(what), which is not decoded; its bytes are kept"))
                rawAnomaly[direction] = session.anomalies.count - 1
                keepRaw(leftovers[direction].bytes[...], from: direction)
            }
        }
    }
}

extension HTTP1Event {
    /// The message, and whether it was complete.
    package var parts: (HTTP1Message, Bool) {
        switch self {
        case .message(let m): return (m, true)
        case .incompleteMessage(let m): return (m, false)
        }
    }
}
