public import TrafficModel

/// A recording as HAR 1.2, in the shape Chrome's DevTools writes ("Save all
/// as HAR"), so browsers' tools, proxies and `authreplay import` read it.
/// Pure: a recording in, a JSON document out; the command writes the file.
///
/// One entry per HTTP exchange; the exchanges of one session share a
/// `connection` id (the importer groups them back into one session). A
/// WebSocket upgrade carries the session's messages in Chrome's
/// `_webSocketMessages` (`type` send/receive, `time` in epoch seconds,
/// `opcode`, `data`, base64 for binary); close frames are written with
/// opcode 8, the reason as `data` and the code as `code`. Values are written
/// as the recording holds them: a redacted recording exports redacted.
///
/// What HAR has no place for is left out and counted in `Statistics`: the
/// client endpoint, how the connection ended, anomalies, frame layout,
/// interim responses, trailers, and sessions without an HTTP request.
public struct HARExporter: Sendable {
    public struct Statistics: Sendable, Equatable {
        public var entries = 0
        public var messages = 0
        /// Sessions with no HTTP exchange (a capture that started midstream): HAR entries are requests.
        public var sessionsWithoutRequest = 0
        /// Request bodies that are not UTF-8: HAR's `postData.text` holds text only; written base64 with a note.
        public var binaryRequestBodies = 0
        public init() {}
    }

    public struct Export: Sendable {
        public var document: JSONValue
        public var statistics: Statistics
        /// The document as a file: pretty JSON, UTF-8, a final newline.
        public var bytes: [UInt8] { Array(JSONWriter.pretty(document).utf8) }
    }

    /// `log.creator`: `authreplay` and its version.
    public var creator: (name: String, version: String)

    public init(creatorName: String = "authreplay", creatorVersion: String) {
        self.creator = (creatorName, creatorVersion)
    }

    public func export(_ recording: Recording) -> Export {
        var statistics = Statistics()
        var entries: [(start: Int64, order: Int, entry: JSONValue)] = []
        for (index, session) in recording.sessions.enumerated() {
            guard !session.exchanges.isEmpty else {
                statistics.sessionsWithoutRequest += 1
                continue
            }
            let upgrade = session.exchanges.lastIndex { $0.isWebSocketUpgrade }
            for (e, exchange) in session.exchanges.enumerated() {
                var entry = HAREntryWriter(recording: recording, session: session, connection: String(index + 1), isFirst: e == 0)
                let messages = e == upgrade ? session.websocket?.messages ?? [] : []
                let json = entry.entry(exchange, messages: messages)
                statistics.messages += messages.count
                statistics.binaryRequestBodies += entry.binaryRequestBody ? 1 : 0
                entries.append((entry.started.microseconds, entries.count, json))
            }
        }
        // Browsers list entries by start time.
        entries.sort { ($0.start, $0.order) < ($1.start, $1.order) }
        statistics.entries = entries.count
        let log: JSONValue = .object([
            ("version", .string("1.2")),
            ("creator", .object([("name", .string(creator.name)), ("version", .string(creator.version))])),
            ("pages", .array([])),
            ("entries", .array(entries.map(\.entry))),
        ])
        return Export(document: .object([("log", log)]), statistics: statistics)
    }
}
