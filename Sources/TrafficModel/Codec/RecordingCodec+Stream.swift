extension ResponseStream {
    var json: JSONValue {
        var o = JSONObjectBuilder()
        o.addTime("headAt", headAt)
        if !events.isEmpty || chunks.isEmpty { o.add("events", .array(events.map(\.json))) }
        if !chunks.isEmpty { o.add("chunks", .array(chunks.map(\.json))) }
        if truncated { o.add("truncated", .bool(true)) }
        return o.object
    }

    init(reader r: JSONReader) throws(RecordingError) {
        var events: [ServerSentEvent] = []
        for e in try r.array("events") { events.append(try ServerSentEvent(reader: e)) }
        var chunks: [TimedChunk] = []
        for c in try r.array("chunks") { chunks.append(try TimedChunk(reader: c)) }
        guard events.isEmpty || chunks.isEmpty else {
            throw try r.require("chunks").invalid("a stream has events (text/event-stream) or chunks, not both")
        }
        self.init(headAt: try r.fixed("headAt"), events: events, chunks: chunks, truncated: try r.optionalBool("truncated") ?? false)
    }
}

extension ServerSentEvent {
    var json: JSONValue {
        var o = JSONObjectBuilder()
        o.addTime("at", at)
        o.addIfPresent("id", id)
        o.addIfPresent("event", event)
        o.addIfPresent("data", data)
        o.addIfPresent("retry", retry)
        o.addIfNotEmpty("comments", comments.map { .string($0) })
        return o.object
    }

    init(reader r: JSONReader) throws(RecordingError) {
        var retry: Int?
        if let value = r.optional("retry") {
            retry = try value.int
            guard retry! >= 0 else { throw value.invalid("retry is milliseconds, never negative") }
        }
        var comments: [String] = []
        for c in try r.array("comments") { comments.append(try c.string) }
        // A field value cannot hold a line break: it would end the line on the wire.
        for key in ["id", "event"] {
            if let value = r.optional(key), (try value.string).contains(where: { $0 == "\n" || $0 == "\r" }) {
                throw value.invalid("an SSE \(key) cannot contain a line break")
            }
        }
        self.init(
            at: try r.fixed("at"), id: try r.optionalString("id"), event: try r.optionalString("event"),
            data: try r.optionalString("data"), retry: retry, comments: comments
        )
    }
}

extension TimedChunk {
    var json: JSONValue {
        .object([("at", .fixed(at)), ("bytes", .int(bytes))])
    }

    init(reader r: JSONReader) throws(RecordingError) {
        let bytes = try r.require("bytes")
        guard try bytes.int >= 0 else { throw bytes.invalid("a chunk length cannot be negative") }
        self.init(at: try r.fixed("at"), bytes: try bytes.int)
    }
}
