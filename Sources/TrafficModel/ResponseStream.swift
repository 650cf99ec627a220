/// A response body that arrived over time (issue 15): Server-Sent Events
/// one by one, or another streamed body's pieces, each with the moment it
/// was complete. Optional on `HTTPResponse` and encoded only when present,
/// so recordings without streams keep their bytes.
///
/// For `text/event-stream` the events *are* the body: `HTTPResponse.body`
/// is nil and each event keeps its fields, so a reviewer reads events, the
/// redactor treats each `data` as a document, and the mock writes them back
/// one at a time. For any other streamed body (chunked, or delimited by the
/// close) `body` stays as it was and `chunks` only says how big each piece
/// was and when it arrived: no byte is kept twice, and redaction of the body
/// stays as it is.
public struct ResponseStream: Hashable, Sendable {
    /// When the response head was complete (seconds since `capturedAt`);
    /// `HTTPResponse.at` is when the whole body was.
    public var headAt: Double
    /// The events of a `text/event-stream` body, in order. Empty for other bodies.
    public var events: [ServerSentEvent]
    /// The pieces of another streamed body, in order. Empty for an event stream.
    public var chunks: [TimedChunk]
    /// The stream was cut (capture ended, connection lost) before it ended;
    /// it is kept up to its last complete event (or byte, for chunks).
    public var truncated: Bool

    public init(headAt: Double, events: [ServerSentEvent] = [], chunks: [TimedChunk] = [], truncated: Bool = false) {
        self.headAt = headAt
        self.events = events
        self.chunks = chunks
        self.truncated = truncated
    }

    /// The indices of the events to send to a client that reconnects with
    /// `Last-Event-ID: lastEventID` (WHATWG HTML §9.2.4): the stream's
    /// preamble (the blocks before its first data, such as `retry` and
    /// comments, which a server sends on every connection), then the events
    /// after the last recorded one with that id. Every event when no
    /// recorded event has the id, or without one.
    public func resumedIndices(afterLastEventID lastEventID: String?) -> [Int] {
        guard let lastEventID, let index = events.lastIndex(where: { $0.id == lastEventID }) else { return Array(events.indices) }
        let preamble = events.prefix { $0.data == nil }.indices.filter { $0 <= index }
        return preamble + Array((index + 1)..<events.count)
    }
}

/// One block of an event stream (WHATWG HTML §9.2.6), as the server sent it:
/// every field it set, so a block that only sets `retry` or only carries a
/// comment (a keep-alive) is kept too.
public struct ServerSentEvent: Hashable, Sendable {
    /// When the blank line that ends the block arrived (seconds since `capturedAt`).
    public var at: Double
    /// The `id` field (last one in the block); "" resets the client's last event ID.
    public var id: String?
    /// The `event` field: the event type (nil means `message`).
    public var event: String?
    /// The `data` lines joined by LF; nil when the block had no data line
    /// (a browser dispatches nothing for it).
    public var data: String?
    /// The `retry` field, in milliseconds, when it was all digits.
    public var retry: Int?
    /// Comment lines (`: …`), without the colon and one following space.
    public var comments: [String]

    public init(at: Double, id: String? = nil, event: String? = nil, data: String? = nil, retry: Int? = nil, comments: [String] = []) {
        self.at = at
        self.id = id
        self.event = event
        self.data = data
        self.retry = retry
        self.comments = comments
    }

    /// The type a browser dispatches it as.
    public var type: String { event.flatMap { $0.isEmpty ? nil : $0 } ?? "message" }
}

/// One piece of a streamed non-SSE body: a chunk of a chunked body, or what
/// arrived together of a close-delimited one.
public struct TimedChunk: Hashable, Sendable {
    public var at: Double
    /// Its length in the decoded body.
    public var bytes: Int

    public init(at: Double, bytes: Int) {
        self.at = at
        self.bytes = bytes
    }
}

extension HTTPResponse {
    /// True for an `text/event-stream` response (the media type, parameters ignored).
    public var isEventStream: Bool {
        guard let type = headers.first("Content-Type") else { return false }
        return type.split(separator: ";", maxSplits: 1).first.map { $0.trimmingSpaces().lowercased() } == "text/event-stream"
    }
}
