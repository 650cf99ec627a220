public import TrafficModel
import Wire

/// One piece of a streamed answer: written and flushed on its own, `delay`
/// seconds after the response head went out.
public struct StreamedPart: Hashable, Sendable {
    public var delay: Double
    public var bytes: [UInt8]

    public init(delay: Double, bytes: [UInt8]) {
        self.delay = delay
        self.bytes = bytes
    }
}

extension ReplayedResponse {
    /// A recorded streamed response, prepared for sending piece by piece:
    /// each Server-Sent Event (from the one after `lastEventID` when the
    /// recording has that id, WHATWG HTML §9.2.4) or each recorded chunk of
    /// another body, at the recorded gaps scaled by `pacing`, measured from
    /// the head (so gaps do not drift as writes queue). The head declares
    /// `Transfer-Encoding: chunked` where the recorded framing field was.
    /// Returns the response and the delay of its head after the request.
    public static func streaming(
        _ response: HTTPResponse, stream: ResponseStream, requestAt: Double, method: String, lastEventID: String?, pacing: Pacing
    ) -> (response: ReplayedResponse, headDelay: Double) {
        var replayed = ReplayedResponse(recorded: response, method: method)
        let headDelay = pacing.delay(forRecordedGap: stream.headAt - requestAt)
        guard replayed.status >= 200, replayed.status != 204, replayed.status != 304, method.uppercased() != "HEAD" else {
            return (replayed, headDelay)
        }
        var parts: [StreamedPart] = []
        var offset = 0.0
        if !stream.events.isEmpty || stream.chunks.isEmpty {
            // Each event after the gap from its recorded predecessor (sent or skipped).
            for index in stream.resumedIndices(afterLastEventID: lastEventID) {
                let event = stream.events[index]
                offset += pacing.delay(forRecordedGap: event.at - (index == 0 ? stream.headAt : stream.events[index - 1].at))
                parts.append(StreamedPart(delay: offset, bytes: ServerSentEventWriter.bytes(event)))
            }
        } else {
            let body = response.body?.bytes ?? []
            var previous = stream.headAt
            var start = 0
            // Sizes that no longer add up (the body changed length in redaction) send it whole.
            let sizes = stream.chunks.reduce(0) { $0 + $1.bytes } == body.count ? stream.chunks : [TimedChunk(at: response.at, bytes: body.count)]
            for chunk in sizes where chunk.bytes > 0 {
                offset += pacing.delay(forRecordedGap: chunk.at - previous)
                previous = chunk.at
                parts.append(StreamedPart(delay: offset, bytes: Array(body[start..<start + chunk.bytes])))
                start += chunk.bytes
            }
        }
        var headers: [HeaderField] = []
        var placed = false
        for field in replayed.headers {
            switch field.name.lowercased() {
            case "content-length", "transfer-encoding":
                if !placed { headers.append(HeaderField("Transfer-Encoding", "chunked")) }
                placed = true
            default:
                headers.append(field)
            }
        }
        if !placed { headers.append(HeaderField("Transfer-Encoding", "chunked")) }
        replayed.headers = headers
        replayed.body = []
        replayed.parts = parts
        return (replayed, headDelay)
    }
}
