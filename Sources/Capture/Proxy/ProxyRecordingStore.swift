import Synchronization
import TrafficModel
import Wire

/// Records a proxy run: every client connection's bytes, as the client sent
/// them and as the upstream answered (after TLS), go through Wire's
/// `ConnectionDecoder`, the decoder `import` and `capture` use, so a proxied
/// session is recorded exactly as a capture of the same traffic would be.
/// Auth findings follow the run across connections (one `AuthTracker`).
///
/// Finished sessions go to `sink` as they end (the CLI streams them to disk);
/// without a sink they are kept for `sessions()`. Open sessions are bounded
/// by `budget`: once their recorded bytes would pass it, a session records
/// no more payloads (with an anomaly) while the proxy still forwards them.
/// Connections run on several event loops, hence one lock.
final class ProxyRecordingStore: Sendable {
    /// Receives each finished session, in the order they ended.
    typealias Sink = @Sendable (Session, _ capturedAt: Timestamp) -> Void

    private struct Open: Sendable {
        var decoder: ConnectionDecoder
        var recordedBytes = 0
        var decided = false
        var budgetSpent = false
    }

    private struct State: Sendable {
        var open: [Int: Open] = [:]
        var nextIndex = 0
        var stopped = false
        /// Payload bytes held by open sessions, against `budget`.
        var recordedBytes = 0
        var tracker: AuthTracker
        var finished: [Session] = []
    }

    let capturedAt: Timestamp
    /// The most payload bytes the open sessions hold in memory.
    let budget: Int
    private let clock: @Sendable () -> Double
    private let sink: Sink?
    private let log: (@Sendable (String) -> Void)?
    private let limits: ConnectionDecoder.Limits
    private let state: Mutex<State>

    init(
        budget: Int = RecordingProxy.Configuration.defaultRecordingBudget, verifier: (any JWTSignatureVerifier)? = nil, locator: CredentialLocator = .default,
        limits: ConnectionDecoder.Limits = ConnectionDecoder.Limits(), sink: Sink? = nil,
        log: (@Sendable (String) -> Void)? = nil, clock: @escaping @Sendable () -> Double
    ) {
        self.budget = budget
        self.clock = clock
        self.sink = sink
        self.log = log
        self.limits = limits
        let capturedAt = Timestamp(seconds: clock())
        self.capturedAt = capturedAt
        self.state = Mutex(State(tracker: AuthTracker(epoch: capturedAt.seconds, locator: locator, verifier: verifier)))
    }

    /// Seconds since `capturedAt`, in whole microseconds like the file, so
    /// the recording in memory equals the one read back.
    func now() -> Double {
        let elapsed = Timestamp(seconds: clock()).microseconds - capturedAt.microseconds
        return Double(max(0, elapsed)) / 1_000_000
    }

    /// A new session; nil once the proxy is stopping.
    func open(client: Endpoint, server: Endpoint) -> Int? {
        let start = now()
        return state.withLock { state in
            guard !state.stopped else { return nil }
            let index = state.nextIndex
            state.nextIndex += 1
            let decoder = ConnectionDecoder(id: "s\(index + 1)", client: client, server: server, start: start, midstream: false, limits: limits)
            state.open[index] = Open(decoder: decoder)
            return index
        }
    }

    /// Bytes one side sent, as they crossed the proxy.
    func received(_ index: Int, _ bytes: some Collection<UInt8>, from direction: Direction) {
        let at = now()
        let lines = state.withLock { state -> [String] in
            guard var session = state.open.removeValue(forKey: index) else { return [] }
            defer { state.open[index] = session }
            guard !session.budgetSpent else { return [] }
            guard state.recordedBytes + bytes.count <= budget else {
                session.budgetSpent = true
                session.decoder.session.anomalies.append(Anomaly(
                    kind: .limit, at: at,
                    detail: "the proxy's recording budget (\(budget >> 20) MiB of open sessions' bytes, --max-recording-mib) is spent: later bytes of this session were forwarded but not recorded"
                ))
                return []
            }
            state.recordedBytes += bytes.count
            session.recordedBytes += bytes.count
            let slice = ArraySlice(bytes)
            if !session.decided {
                session.decided = true
                _ = session.decoder.decide(firstBytes: slice, from: direction)
            }
            session.decoder.receive(slice, from: direction, at: at)
            let lines = log == nil ? [] : Self.logLines(session.decoder)
            session.decoder.trackAuth(&state.tracker)
            return lines
        }
        for line in lines { log?(line) }
    }

    /// The upstream could not be reached: the proxy answered the client
    /// itself with `response` (its bytes, as sent); recorded as the
    /// server's answer, with the reason as an anomaly.
    func answeredForUpstream(_ index: Int, response: [UInt8], detail: String) {
        let at = now()
        received(index, response, from: .server)
        state.withLock { state in
            state.open[index]?.decoder.session.anomalies.append(Anomaly(kind: .upstreamError, direction: .server, at: at, detail: detail))
        }
    }

    /// Ends a session; hands it to the sink (or keeps it). Idempotent.
    func finish(_ index: Int, kind: TCPCloseKind, by: Direction?) {
        let at = now()
        let ended = state.withLock { state -> Session? in
            guard var open = state.open.removeValue(forKey: index) else { return nil }
            return Self.end(&open, kind: kind, by: by, at: at, state: &state)
        }
        guard let ended else { return }
        log?(Self.logLine(ended))
        if let sink { sink(ended, capturedAt) } else { keep(ended) }
    }

    private static func end(_ open: inout Open, kind: TCPCloseKind, by: Direction?, at: Double, state: inout State) -> Session {
        state.recordedBytes -= open.recordedBytes
        _ = open.decoder.finish(kind: kind, by: by, at: at, captureTruncated: false)
        open.decoder.trackAuth(&state.tracker)
        var session = open.decoder.session
        if kind == .cut {
            session.anomalies.append(Anomaly(kind: .truncated, at: at, detail: "the recording stopped while this connection was open"))
        }
        session.auth = AuthTracker.canonicalOrder(session.auth)
        return session
    }

    /// The sessions kept so far (without a sink): ended ones in the order
    /// they ended, then the open ones as they stand.
    func sessions() -> [Session] {
        state.withLock { state in
            state.finished + state.open.keys.sorted().compactMap { state.open[$0]?.decoder.session }
        }
    }

    /// Refuses new sessions, ends the open ones as `cut`, and returns every
    /// session kept (none with a sink: they went to it).
    func stop() -> [Session] {
        let at = now()
        let (ended, kept) = state.withLock { state -> ([Session], [Session]) in
            state.stopped = true
            var ended: [Session] = []
            for index in state.open.keys.sorted() {
                guard var open = state.open.removeValue(forKey: index) else { continue }
                ended.append(Self.end(&open, kind: .cut, by: nil, at: at, state: &state))
            }
            if sink == nil { state.finished += ended }
            return (ended, state.finished)
        }
        if let sink { for session in ended { sink(session, capturedAt) } }
        return kept
    }

    /// Without a sink, a finished session is kept here.
    private func keep(_ session: Session) {
        state.withLock { $0.finished.append(session) }
    }

    // MARK: Lines

    /// One line per exchange the last bytes completed.
    private static func logLines(_ decoder: ConnectionDecoder) -> [String] {
        decoder.completed.compactMap { item in
            guard case .response(let e) = item else { return nil }
            return logLine(decoder.session.id, decoder.session.exchanges[e])
        }
    }

    static func logLine(_ session: String, _ exchange: HTTPExchange) -> String {
        let request = "\(session) \(exchange.request.method) \(exchange.request.target)"
        guard let response = exchange.response else { return request + " → no response" }
        return request + " → \(response.status)" + (response.body.map { " (\($0.count) B)" } ?? "")
    }

    static func logLine(_ session: Session) -> String {
        var line = "\(session.id) \(session.client) ended"
        if let end = session.end { line += " (\(end.kind.rawValue)\(end.by.map { " by \($0.rawValue)" } ?? ""))" }
        line += ": \(session.exchanges.count) exchanges"
        if let ws = session.websocket {
            line += ", \(ws.messages.count) WebSocket messages"
            if let close = ws.close { line += ", close \(close.code.map(String.init) ?? "without code") by \(close.frame.direction.rawValue)" }
        }
        if !session.anomalies.isEmpty { line += ", \(session.anomalies.count) anomalies" }
        return line
    }
}
