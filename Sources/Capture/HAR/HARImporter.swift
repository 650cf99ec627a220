public import TrafficModel
import Wire

/// What a HAR import produced: the recording (auth findings computed, not yet
/// redacted) and counts for the summary.
public struct HARImport: Sendable {
    public struct Statistics: Sendable, Equatable {
        public var bytes = 0
        public var entries = 0
        /// Entries that lacked a required field; each is a session holding only an anomaly.
        public var invalidEntries = 0
        /// Entries with status 0 (the request failed, no response).
        public var failedRequests = 0
        public var sessions = 0
        public var exchanges = 0
        public var messages = 0
        public var anomalies = 0
        /// `log.creator.name` and version: `WebInspector 537.36`.
        public var creator: String?
        public init() {}
    }

    public var recording: Recording
    public var statistics: Statistics
}

/// HAR 1.2 (browser DevTools, Charles, Insomnia, mitmproxy exports) to a
/// recording. Pure: bytes in, recording out; the caller reads the file.
///
/// Entries sharing a HAR `connection` id (and server) form one session, in
/// `startedDateTime` order; entries without one get a session each, and so
/// does every WebSocket entry. The client endpoint is not in a HAR and is
/// written as `0.0.0.0:0`; the server is `serverIPAddress` (else the URL
/// host) and the URL's port.
public struct HARImporter: Sendable {
    public struct Limits: Sendable {
        /// Larger files are refused before parsing (the parsed tree needs
        /// several times the file size in memory). Default 512 MiB.
        public var maxFileBytes: Int
        /// JSON nesting depth; HAR needs about 8.
        public var maxDepth: Int

        public init(maxFileBytes: Int = 512 << 20, maxDepth: Int = 64) {
            self.maxFileBytes = maxFileBytes
            self.maxDepth = maxDepth
        }

        public static let `default` = Limits()
    }

    /// The client side of every session: a HAR does not record it.
    public static let unknownClient = Endpoint(host: "0.0.0.0", port: 0)

    public var limits: Limits
    public var verifier: (any JWTSignatureVerifier)?
    public var tool: String

    public init(limits: Limits = .default, verifier: (any JWTSignatureVerifier)? = nil, tool: String = "authreplay") {
        self.limits = limits
        self.verifier = verifier
        self.tool = tool
    }

    /// True when the content looks like JSON (first byte after a UTF-8 BOM
    /// and whitespace is `{`): `import` then treats the file as HAR.
    public static func looksLikeHAR(_ prefix: some Collection<UInt8>) -> Bool {
        var bytes = prefix[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        return bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) } == UInt8(ascii: "{")
    }

    /// `name` is the HAR file as the user named it (for the source and errors);
    /// `fallbackStart` is `capturedAt` when no entry has a usable time.
    public func importHAR(_ bytes: some Collection<UInt8>, name: String, fallbackStart: Timestamp = Timestamp(microseconds: 0)) throws(CaptureError) -> HARImport {
        guard bytes.count <= limits.maxFileBytes else {
            throw CaptureError(
                .harTooLarge, "\(name): \(bytes.count) bytes is over the \(limits.maxFileBytes >> 20) MiB HAR limit",
                location: ErrorLocation(file: name))
        }
        let document: JSONValue
        do {
            document = try JSONParser.parse(bytes, maximumDepth: limits.maxDepth)
        } catch {
            let line = error.location.line ?? 1, column = error.location.column ?? 1
            throw CaptureError(
                .malformedJSON, "\(name): not valid JSON at line \(line), column \(column): \(error.reason)",
                location: ErrorLocation(file: name, offset: error.location.offset, line: line, column: column))
        }
        guard let log = document["log"], case .object = log else {
            throw CaptureError(.notHAR, "\(name): not a HAR file: no top-level \"log\" object", location: ErrorLocation(file: name))
        }
        guard let entries = log["entries"]?.arrayValue else {
            throw CaptureError(.notHAR, "\(name): not a HAR file: \"log.entries\" is missing or not an array", location: ErrorLocation(file: name))
        }
        var statistics = HARImport.Statistics()
        statistics.bytes = bytes.count
        statistics.entries = entries.count
        if let creator = log["creator"]?["name"]?.stringValue {
            statistics.creator = [creator, log["creator"]?["version"]?.stringValue ?? ""].filter { !$0.isEmpty }.joined(separator: " ")
        }

        var parsed: [(index: Int, entry: HAREntry)] = []
        var invalid: [(index: Int, started: Timestamp?, anomaly: Anomaly)] = []
        for (i, value) in entries.enumerated() {
            do {
                parsed.append((i, try HAREntry(value)))
            } catch {
                let started = value["startedDateTime"]?.stringValue.flatMap(HAREntry.timestamp)
                invalid.append((i, started, Anomaly(kind: .malformedHTTP, detail: "HAR entry \(i) left out: \(error.reason)", data: .text(JSONWriter.compact(value)))))
            }
        }
        statistics.invalidEntries = invalid.count
        statistics.failedRequests = parsed.filter { $0.entry.exchange.response == nil }.count

        let starts = parsed.map(\.entry.started) + parsed.flatMap { $0.entry.messageTimes.map { Timestamp(seconds: $0) } } + invalid.compactMap(\.started)
        let capturedAt = starts.min() ?? fallbackStart
        func offset(_ t: Timestamp) -> Double { Double(t.microseconds &- capturedAt.microseconds) / 1_000_000 }

        // Group, then order sessions and their exchanges by start time (ties by entry order).
        parsed.sort { ($0.entry.started, $0.index) < ($1.entry.started, $1.index) }
        var groups: [[HAREntry]] = []
        var groupOfKey: [String: Int] = [:]
        for (_, entry) in parsed {
            if entry.websocket == nil, let key = entry.connectionKey, let g = groupOfKey[key], groups[g].last?.websocket == nil {
                groups[g].append(entry)
            } else {
                if entry.websocket == nil, let key = entry.connectionKey { groupOfKey[key] = groups.count }
                groups.append([entry])
            }
        }
        var drafts: [(start: Double, order: Int, session: Session)] = []
        for (g, group) in groups.enumerated() {
            drafts.append((offset(group[0].started), g, session(group, offset: offset)))
        }
        for (k, bad) in invalid.enumerated() {
            let start = bad.started.map(offset) ?? 0
            var anomaly = bad.anomaly
            anomaly.at = start
            drafts.append((start, groups.count + k, Session(id: "", client: Self.unknownClient, server: Self.unknownClient, start: start, anomalies: [anomaly])))
        }
        drafts.sort { ($0.start, $0.order) < ($1.start, $1.order) }
        var sessions = drafts.map(\.session)
        for i in sessions.indices { sessions[i].id = "s\(i + 1)" }

        let recording = AuthAnalyzer(verifier: verifier).analyze(
            Recording(source: Source(kind: .har, name: name, tool: tool), capturedAt: capturedAt, sessions: sessions)
        )
        statistics.sessions = sessions.count
        statistics.exchanges = sessions.reduce(0) { $0 + $1.exchanges.count }
        statistics.messages = sessions.reduce(0) { $0 + ($1.websocket?.messages.count ?? 0) }
        statistics.anomalies = sessions.reduce(0) { $0 + $1.anomalies.count }
        return HARImport(recording: recording, statistics: statistics)
    }

    /// One session from entries of one connection, times made relative to `capturedAt`.
    private func session(_ group: [HAREntry], offset: (Timestamp) -> Double) -> Session {
        var session = Session(id: "", client: Self.unknownClient, server: group[0].server, start: offset(group[0].started))
        for entry in group {
            let base = offset(entry.started)
            var exchange = entry.exchange
            exchange.request.at = Self.microseconds(exchange.request.at + base)
            if let at = exchange.response?.at { exchange.response?.at = Self.microseconds(at + base) }
            if var stream = exchange.response?.stream {
                stream.headAt = Self.microseconds(stream.headAt + base)
                for i in stream.events.indices { stream.events[i].at = Self.microseconds(stream.events[i].at + base) }
                exchange.response?.stream = stream
            }
            let index = session.exchanges.count
            session.exchanges.append(exchange)
            for var anomaly in entry.anomalies {
                anomaly.at = anomaly.at.map { Self.microseconds($0 + base) }
                anomaly.detail = "exchange \(index): \(anomaly.detail)"
                session.anomalies.append(anomaly)
            }
            guard var ws = entry.websocket else { continue }
            let handshakeEnd = exchange.response?.at ?? exchange.request.at
            for i in ws.messages.indices { ws.messages[i].at = offset(Timestamp(seconds: entry.messageTimes[i])) }
            // HAR lists messages as the browser logged them; keep wire order by time.
            ws.messages = ws.messages.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(\.element)
            session.websocket = ws
            session.end = Self.end(of: ws, after: handshakeEnd)
        }
        session.engineIO = EngineIOReadable.link(session)
        return session
    }

    /// Recordings hold whole microseconds (as pcap timestamps are), so a
    /// written recording reads back equal.
    static func microseconds(_ seconds: Double) -> Double {
        guard seconds.isFinite, abs(seconds) < 9e12 else { return 0 }
        return Double(Int64((seconds * 1_000_000).rounded())) / 1_000_000
    }

    /// A HAR does not record TCP ends. A WebSocket that exchanged close frames
    /// ended `closed`, by the side that closed first; otherwise it is `cut`
    /// after its last message: the export ended before the connection did.
    static func end(of ws: WebSocketSession, after handshakeEnd: Double) -> SessionEnd {
        let last = max(handshakeEnd, ws.messages.last?.at ?? handshakeEnd)
        let closes = ws.messages.filter { $0.opcode == .close }
        if let first = closes.first, Set(closes.map(\.direction)).count == 2 {
            return SessionEnd(kind: .closed, at: last, by: first.direction)
        }
        return SessionEnd(kind: .cut, at: last, by: nil)
    }
}
