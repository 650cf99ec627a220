public import NIOCore
import NIOHTTP1
public import NIOPosix
import NIOWebSocket
import Wire
public import TrafficModel

/// How to run a replay.
public struct ReplayOptions: Sendable {
    /// Seconds to wait for each step (connect, a response, a server
    /// message, the close). Default 10 s.
    public static let defaultTimeout = 10.0
    /// The largest server WebSocket message accepted, in bytes, after
    /// inflating a compressed one. Default 16 MiB.
    public static let defaultMaxMessageSize = 1 << 24

    public var target: ReplayTarget
    public var timeout: Double
    /// Independent session groups run in parallel, at most this many at once.
    public var concurrency: Int
    /// Each session is replayed this many times.
    public var repetitions: Int
    public var comparison: ComparisonOptions
    public var resigner: JWTResigner?
    /// How an `https://` target's certificate is checked; nil: against the
    /// system trust roots. Ignored for `http://` targets.
    public var tls: ReplayTLS?
    /// See `defaultMaxMessageSize`.
    public var maxMessageSize: Int
    /// Recorded gaps between a session's steps (default: none).
    public var pace: ReplayPace = .fast
    /// The longest wait kept for a time relation (a token used after its
    /// expiry); a longer one is not waited and the session says so.
    public var maxWait: Double = 120
    /// Seconds since the epoch now; the clock time relations are judged on.
    public var clock: @Sendable () -> Double = Timestamp.wallClock
    /// Changes a request just before it is sent, after tokens were chained
    /// (`variants` puts a forged or missing credential in one request).
    public var rewrite: RequestRewrite?
    /// The same for a client WebSocket message.
    public var rewriteMessage: MessageRewrite?

    public init(
        target: ReplayTarget, timeout: Double = defaultTimeout, concurrency: Int = 1, repetitions: Int = 1,
        comparison: ComparisonOptions = .default, resigner: JWTResigner? = nil, tls: ReplayTLS? = nil,
        maxMessageSize: Int = defaultMaxMessageSize
    ) {
        self.target = target
        self.timeout = timeout
        self.concurrency = concurrency
        self.repetitions = repetitions
        self.comparison = comparison
        self.resigner = resigner
        self.tls = tls
        self.maxMessageSize = maxMessageSize
    }
}

/// `(session name, exchange index, request) → request to send`.
public typealias RequestRewrite = @Sendable (_ session: String, _ exchange: Int, _ request: HTTPRequest) -> HTTPRequest
/// `(session name, client message number (0-based, pings and pongs not counted), message) → message to send`.
public typealias MessageRewrite = @Sendable (_ session: String, _ clientMessage: Int, _ message: WebSocketMessage) -> WebSocketMessage

/// Runs a plan against the target over real sockets (the I/O edge).
///
/// Sessions linked by issued tokens form a group that runs in recorded
/// order with one token chain; groups (times `repetitions`) run in
/// parallel up to `concurrency`. The connections of a long-polling-only
/// Engine.IO session are in one group and run at the same time
/// (`PollingSessionPlan`), from where its first connection is.
public struct ReplayDriver: Sendable {
    public var group: any EventLoopGroup

    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.group = group
    }

    /// `now` is the wall-clock time in seconds since the epoch, used to
    /// shift re-signed tokens.
    public func run(_ plan: ReplayPlan, options: ReplayOptions, now: Double) async -> ReplayReport {
        var resolved = options
        if resolved.target.tls, resolved.tls == nil {
            do {
                resolved.tls = try ReplayTLS()
            } catch {
                // Without a TLS context nothing can connect: every session fails with the reason.
                let results = plan.sessions.map {
                    SessionResult(name: $0.name, session: $0.session.id, recording: $0.recording, run: 1, verdict: .failed, differences: ["\(error)"])
                }
                return ReplayReport(results: results)
            }
        }
        let options = resolved
        let seed = options.resigner?.substitutions(for: plan, now: now) ?? [:]
        let groups = Self.chainGroups(plan)
        let pollingByIndex = Dictionary(
            PollingSessionPlan.logicalSessions(plan).flatMap { members in members.map { ($0, members) } }, uniquingKeysWith: { a, _ in a })
        var work: [(run: Int, group: [Int])] = []
        for run in 1...max(1, options.repetitions) {
            for g in groups { work.append((run, g)) }
        }
        let limit = max(1, options.concurrency)
        var collected: [Ordered] = []
        await withTaskGroup(of: [Ordered].self) { tasks in
            var running = 0
            for item in work {
                if running == limit, let done = await tasks.next() {
                    collected += done
                    running -= 1
                }
                tasks.addTask {
                    var chain = TokenChain(seed: seed)
                    var results: [Ordered] = []
                    func add(_ result: SessionResult, _ index: Int) {
                        var result = result
                        result.run = item.run
                        if options.repetitions > 1 { result.name += " (run \(item.run))" }
                        results.append(Ordered(run: item.run, index: index, result: result))
                    }
                    var replayed = Set<Int>()
                    for index in item.group where !replayed.contains(index) {
                        // A long-polling session's connections run together, from its first one on.
                        if let members = pollingByIndex[index] {
                            replayed.formUnion(members)
                            let polling = PollingSessionPlan(members: members, of: plan, pollsForPings: options.pace != .fast)
                            for (member, result) in await runPolling(polling, of: plan, chain: &chain, options: options) { add(result, member) }
                            continue
                        }
                        add(await runSession(plan.sessions[index], chain: &chain, options: options), index)
                    }
                    return results
                }
                running += 1
            }
            for await done in tasks { collected += done }
        }
        collected.sort { ($0.run, $0.index) < ($1.run, $1.index) }
        var results = collected.map(\.result)
        for skipped in plan.skipped {
            results.append(SessionResult(name: skipped.name, session: skipped.name, recording: "", run: 1, verdict: .skipped, notes: [skipped.reason]))
        }
        return ReplayReport(results: results)
    }

    private struct Ordered: Sendable {
        var run: Int
        var index: Int
        var result: SessionResult
    }

    /// Plan indices grouped by token dependencies, each group in plan order.
    public static func chainGroups(_ plan: ReplayPlan) -> [[Int]] {
        var parent = Array(plan.sessions.indices)
        func root(_ i: Int) -> Int {
            var i = i
            while parent[i] != i { i = parent[i] }
            return i
        }
        let byName = Dictionary(plan.sessions.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        for (i, session) in plan.sessions.enumerated() {
            for dep in session.dependsOn {
                if let j = byName[dep] { parent[root(i)] = root(j) }
            }
        }
        // The connections of one long-polling Engine.IO session run together.
        for members in PollingSessionPlan.logicalSessions(plan) {
            for i in members.dropFirst() where root(i) != root(members[0]) { parent[root(i)] = root(members[0]) }
        }
        var groups: [Int: [Int]] = [:]
        var order: [Int] = []
        for i in plan.sessions.indices {
            let r = root(i)
            if groups[r] == nil { order.append(r) }
            groups[r, default: []].append(i)
        }
        return order.map { groups[$0]! }
    }

    func runSession(_ plan: SessionPlan, chain: inout TokenChain, options: ReplayOptions) async -> SessionResult {
        let startedAt = options.clock()
        var run = SessionRun(plan: plan, options: options, group: group)
        await run.execute(chain: &chain)
        return run.result(startedAt: startedAt)
    }
}

/// One session being replayed: its connection and what was found so far.
struct SessionRun {
    let plan: SessionPlan
    let options: ReplayOptions
    let group: any EventLoopGroup
    let comparator: ResponseComparator
    var connection: ReplayConnection?
    var differences: [String] = []
    var notes: [String] = []
    /// What the target did, as a session.
    var transcript: Transcript

    init(plan: SessionPlan, options: ReplayOptions, group: any EventLoopGroup) {
        self.plan = plan
        self.options = options
        self.group = group
        self.comparator = ResponseComparator(options: options.comparison)
        self.transcript = Transcript(of: plan.session, target: options.target)
    }

    /// The session's verdict, differences and notes, and what the target did.
    func result(startedAt: Double) -> SessionResult {
        // The transcript's clock started with the run: its reading now is the session's duration.
        let seconds = transcript.now
        var observed = transcript.session
        if observed.end == nil, !observed.exchanges.isEmpty { observed.end = SessionEnd(kind: .closed, at: seconds, by: .client) }
        return SessionResult(
            name: plan.name, session: plan.session.id, recording: plan.recording, run: 1,
            verdict: differences.isEmpty ? .passed : .failed,
            differences: differences, notes: notes, seconds: seconds, observed: observed, observedAt: startedAt
        )
    }

    var timeout: TimeAmount { .nanoseconds(Int64(options.timeout * 1e9)) }
    var deadline: NIODeadline { .now() + timeout }
    var timeoutText: String { "\(formatFixed(options.timeout, decimals: options.timeout.rounded() == options.timeout ? 0 : 1)) s" }

    mutating func execute(chain: inout TokenChain) async {
        var previous: Double?
        for step in plan.steps {
            let (exchange, request) = step.request
            await keepTime(before: request, exchange: exchange, previous: previous, chain: chain)
            previous = request.at
            let keepGoing: Bool
            switch step {
            case .http(let s): keepGoing = await http(s, chain: &chain)
            case .webSocket(let s): keepGoing = await webSocket(s, chain: &chain)
            }
            if !keepGoing { break }
        }
        if let connection {
            await connection.close()
            self.connection = nil
        }
    }

    static func label(_ request: HTTPRequest) -> String { "\(request.method) \(request.path)" }

    /// Waits out the recorded gap (with `--pace`) and what a time relation
    /// needs (a token that must be expired at use, as recorded).
    mutating func keepTime(before request: HTTPRequest, exchange: Int, previous: Double?, chain: TokenChain) async {
        var seconds = options.pace.gap(from: previous, to: request.at)
        if let wait = TimeRelation.wait(before: request, exchange: exchange, of: plan.session, chain: chain, now: options.clock()) {
            if wait.seconds <= options.maxWait {
                seconds = max(seconds, wait.seconds)
                notes.append("exchange \(exchange + 1): \(wait.reason)")
            } else {
                notes.append("exchange \(exchange + 1): not \(wait.reason.dropFirst("waited ".count).prefix { $0 != "s" })s: over --max-wait \(formatFixed(options.maxWait, decimals: 0)) s, so the token is sent fresh and the outcome may differ")
            }
        }
        if seconds > 0 { try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000))) }
    }

    /// Connects if needed; false (with the reason recorded) when it cannot.
    mutating func ensureConnected(_ label: String) async -> Bool {
        if let connection, connection.channel.isActive { return true }
        if let connection { await connection.close() }
        do {
            let tls = options.target.tls ? options.tls : nil
            connection = try await ReplayConnection.connect(
                to: options.target, tls: tls, group: group, timeout: timeout, maxMessageSize: options.maxMessageSize
            )
            return true
        } catch {
            connection = nil
            let target = options.target.tls ? options.target.url : options.target.authority
            differences.append("\(label): cannot connect to \(target): \(ReplayConnection.describe(error))")
            return false
        }
    }

    /// Sends a request and waits for its response; nil (reason recorded) on failure.
    mutating func exchange(_ request: HTTPRequest, label: String, expected: HTTPResponse? = nil) async -> HTTPResponse? {
        guard await ensureConnected(label), let connection else { return nil }
        transcript.sent(request)
        do {
            try await connection.send(request)
        } catch {
            differences.append("\(label): sending the request failed: \(ReplayConnection.describe(error))")
            return nil
        }
        // An event stream: each event gets its own deadline. A recorded
        // stream that the capture cut is read for as many events as it has,
        // then the connection is dropped (the live one may never end).
        var streamHead: HTTPResponse?
        var events: [ServerSentEvent] = []
        let wanted = expected?.stream.flatMap { $0.truncated ? $0.events.count : nil }
        do {
            while true {
                switch try await connection.next(deadline: deadline) {
                case .response(let response):
                    transcript.received(response)
                    return response
                case .streamHead(let head):
                    streamHead = head
                    if wanted == 0 { return await cutStream(head, events: events) }
                case .event(let event):
                    events.append(event)
                    if let head = streamHead, let wanted, events.count >= wanted { return await cutStream(head, events: events) }
                case .message: continue
                case .closed:
                    transcript.ended(by: .server)
                    differences.append("\(label): the target closed the connection without answering")
                    return nil
                case .failed(let reason):
                    transcript.failed(reason)
                    differences.append("\(label): \(reason)")
                    return nil
                case nil:
                    if streamHead != nil {
                        differences.append("\(label): no next event within \(timeoutText) (after \(events.count) events)")
                    } else {
                        differences.append("\(label): no response within \(timeoutText)")
                    }
                    return nil
                }
            }
        } catch {
            differences.append("\(label): \(ReplayConnection.describe(error))")
            return nil
        }
    }

    /// The request as sent: tokens chained, then `options.rewrite`.
    func live(_ recorded: HTTPRequest, exchange: Int, chain: TokenChain) -> HTTPRequest {
        let chained = chain.apply(to: recorded)
        return options.rewrite.map { $0(plan.name, exchange, chained) } ?? chained
    }

    /// The live stream read as far as the recording goes; its connection is closed.
    private mutating func cutStream(_ head: HTTPResponse, events: [ServerSentEvent]) async -> HTTPResponse {
        var response = head
        response.stream = ResponseStream(headAt: 0, events: events, truncated: true)
        transcript.received(response)
        if let connection { await connection.close() }
        connection = nil
        return response
    }

    mutating func http(_ step: HTTPStep, chain: inout TokenChain) async -> Bool {
        let request = live(step.request, exchange: step.exchange, chain: chain)
        let label = "exchange \(step.exchange + 1) (\(Self.label(request)))"
        guard let response = await exchange(request, label: label, expected: step.expectedResponse) else { return false }
        differences += comparator.compare(expected: step.expectedResponse, actual: response).map { "\(label): \($0)" }
        notes += chain.learn(recorded: step.expectedResponse, live: response).map { "\(label): \($0)" }
        if response.headers.listElements("Connection").contains(where: { $0.lowercased() == "close" }) {
            if let connection { await connection.close() }
            connection = nil
        }
        return true
    }

    mutating func webSocket(_ step: WebSocketStep, chain: inout TokenChain) async -> Bool {
        var request = live(step.handshake, exchange: step.exchange, chain: chain)
        let key = NIOWebSocketClientUpgrader.randomRequestKey()
        // A fresh key in the recorded key's place; permessage-deflate is
        // offered only when the recorded server accepted it.
        let offer = step.deflateOffer
        request.headers = request.headers.compactMap { field in
            switch field.name.lowercased() {
            case "sec-websocket-key": return HeaderField(field.name, key)
            case "sec-websocket-extensions": return nil
            default: return field
            }
        }
        if let offer {
            let at = request.headers.firstIndex { $0.name.lowercased() == "sec-websocket-version" }.map { $0 + 1 } ?? request.headers.count
            request.headers.insert(offer, at: at)
        }
        let label = "handshake (\(Self.label(request)))"
        guard let response = await exchange(request, label: label) else { return false }
        differences += comparator.compare(expected: step.expectedResponse, actual: response).map { "\(label): \($0)" }
        guard response.status == 101 else { return false }
        guard step.expectedResponse?.status == 101 else { return false }
        // RFC 6455 §9.1 / RFC 7692 §7.1: an extension that was not offered, or
        // an acceptance with parameters a client must reject, fails the connection.
        let accepted = response.headers.all("Sec-WebSocket-Extensions").joined(separator: ", ")
        do {
            if try PerMessageDeflateParameters.negotiated(fromResponseHeader: accepted.isEmpty ? nil : accepted) != nil, offer == nil {
                differences.append("\(label): the target accepted permessage-deflate, which was not offered (RFC 6455 §9.1)")
                return false
            }
        } catch {
            differences.append("\(label): \(error) (RFC 7692 §7.1: the client fails the connection)")
            return false
        }
        var headers = HTTPHeaders()
        for field in response.headers { headers.add(name: field.name, value: field.value) }
        // NIO's client upgrader checks Sec-WebSocket-Accept against the key.
        let upgrader = NIOWebSocketClientUpgrader(requestKey: key) { channel, _ in channel.eventLoop.makeSucceededVoidFuture() }
        if !upgrader.shouldAllowUpgrade(upgradeResponse: HTTPResponseHead(version: .http1_1, status: .switchingProtocols, headers: headers)) {
            differences.append("\(label): Sec-WebSocket-Accept does not match the key sent (RFC 6455 §4.2.2)")
        }
        await script(step, chain: chain)
        return false
    }

    /// Plays the recorded messages: each client message is sent once the
    /// server messages before it have arrived (or the wait timed out); then
    /// every server message and the close are compared.
    mutating func script(_ step: WebSocketStep, chain: TokenChain) async {
        guard let connection else { return }
        var state = LiveWebSocket(answersEngineIOPings: step.engineIO)
        var acks = SocketIOAckNumbering()
        var clientMessages = 0
        // With --pace, a client message goes out no earlier than its recorded
        // offset from the 101 (scaled); the wait still reads (and answers pings).
        let upgradedAt = NIODeadline.now()
        let recordedUpgrade = step.expectedResponse?.at ?? step.handshake.at
        for item in step.script {
            guard case .send(let message, let after) = item else { continue }
            defer { clientMessages += 1 }
            await state.receive(from: connection, until: after, deadline: deadline, transcript: &transcript)
            let gap = options.pace.gap(from: recordedUpgrade, to: message.at)
            if gap > 0, !state.ended, !state.sentClose {
                await state.receive(from: connection, until: Int.max, deadline: upgradedAt + .nanoseconds(Int64(gap * 1e9)), transcript: &transcript)
            }
            if state.ended || state.sentClose { continue }
            do {
                let chained = chain.apply(to: message)
                let rewritten = options.rewriteMessage.map { $0(plan.name, clientMessages, chained) } ?? chained
                let live = step.engineIO ? acks.outgoing(rewritten) : rewritten
                transcript.message(live)
                try await connection.send(live)
                if message.opcode == .close {
                    state.sentClose = true
                    if state.close == nil { state.close = CloseOutcome(code: message.closeCode, by: .client, frame: true) }
                }
            } catch {
                // The server may already be gone; what it sent is judged below.
                notes.append("client message not sent: \(ReplayConnection.describe(error))")
            }
        }
        let expected = step.expectedServerMessages
        await state.receive(from: connection, until: expected.count, deadline: deadline, transcript: &transcript)
        if step.expectedClose != nil, !state.ended {
            // Finish the closing handshake: answer a server close, then wait
            // for the connection to end.
            if state.close?.by == .server, !state.sentClose, let code = state.close?.code {
                let answer = WebSocketMessage(direction: .client, at: 0, opcode: .close, payload: .text(""), closeCode: code)
                transcript.message(answer)
                try? await connection.send(answer)
                state.sentClose = true
            }
            await state.receive(from: connection, until: Int.max, deadline: deadline, pastTheClose: true, transcript: &transcript)
        }
        if let failure = state.failure { differences.append("websocket: \(failure)") }
        if let note = acks.note { notes.append("websocket: \(note)") }
        if state.pingsAnswered > 0 { notes.append("websocket: answered \(state.pingsAnswered) engine.io ping\(state.pingsAnswered == 1 ? "" : "s") of the target") }
        differences += comparator.compare(expected: expected, actual: step.engineIO ? state.messages.map(acks.incoming) : state.messages)
        if let expectedClose = step.expectedClose {
            let actual = state.close ?? CloseOutcome(code: nil, by: nil, frame: false)
            if state.close == nil, !state.ended {
                differences.append("close: expected \(expectedClose.description), got no close within \(timeoutText)")
            } else {
                differences += comparator.compare(expected: expectedClose, actual: actual)
            }
        }
    }
}
