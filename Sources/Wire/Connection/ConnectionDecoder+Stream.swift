package import TrafficModel

// Streamed response bodies (issue 15): an event stream becomes timed events,
// another body that arrived over time keeps its pieces' sizes and times.
extension ConnectionDecoder {
    /// The body and stream to record for a response `message`. Call before
    /// the server clock releases the message's offsets.
    package mutating func streamedBody(_ message: HTTP1Message, headers: [HeaderField], complete: Bool) -> (body: Body?, stream: ResponseStream?) {
        let body = message.body.isEmpty ? nil : Body(bytes: message.body)
        let probe = HTTPResponse(at: 0, status: message.status ?? 0, reason: "", headers: headers)
        guard message.framing != .none || probe.isEventStream else { return (body, nil) }
        let headAt = clocks.server.time(endingAt: message.bodyOffset)
        if probe.isEventStream {
            // An event over the parser's limit leaves the body as it was.
            guard let parsed = try? ServerSentEventParser.events(in: message.body) else { return (body, nil) }
            let events = parsed.events.map { p in
                var event = p.event
                event.at = clocks.server.time(endingAt: message.streamOffset(ofBodyEnd: p.endOffset))
                return event
            }
            return (nil, ResponseStream(headAt: headAt, events: events, truncated: !complete || message.bodyTruncated))
        }
        let kept = message.body.count
        var ends: [Int]
        switch message.framing {
        case .chunked:
            ends = message.chunks.map(\.bodyEnd).filter { $0 <= kept }
        case .close:
            ends = clocks.server.arrivals(from: message.bodyOffset, to: message.bodyOffset + kept).map { $0 - message.bodyOffset }
        case .contentLength, .none:
            return (body, nil)
        }
        if kept > 0, ends.last != kept { ends.append(kept) }
        var chunks: [TimedChunk] = []
        var previous = 0
        for end in ends where end > previous {
            let at = clocks.server.time(endingAt: message.streamOffset(ofBodyEnd: end))
            // Pieces that arrived together are one piece to a client.
            if let last = chunks.last, last.at == at {
                chunks[chunks.count - 1].bytes += end - previous
            } else {
                chunks.append(TimedChunk(at: at, bytes: end - previous))
            }
            previous = end
        }
        // Not streamed: it all arrived at once.
        guard chunks.count > 1 else { return (body, nil) }
        return (body, ResponseStream(headAt: headAt, chunks: chunks, truncated: !complete))
    }
}
