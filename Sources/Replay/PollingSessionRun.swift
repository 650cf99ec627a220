import NIOCore
import TrafficModel
import Wire

/// What the connections of one long-polling session share while they run
/// side by side: the token chain (the live sid learnt from the handshake),
/// the Socket.IO ack numbering, and which exchanges have their live answer.
actor PollingCoordinator {
    private(set) var chain: TokenChain
    private var acks = SocketIOAckNumbering()
    private var done = Set<Int>()
    private var waiters: [(needs: [Int], continuation: CheckedContinuation<Void, Never>)] = []
    private var polls = 0
    private(set) var pingsAnswered = 0

    init(chain: TokenChain) {
        self.chain = chain
    }

    /// Returns once every exchange in `needs` is finished.
    func wait(for needs: [Int]) async {
        if needs.allSatisfy(done.contains) { return }
        await withCheckedContinuation { waiters.append((needs, $0)) }
    }

    /// An exchange has its answer, failed, or is not sent: what waited on it goes.
    func finished(_ exchange: Int) {
        done.insert(exchange)
        var waiting: [(needs: [Int], continuation: CheckedContinuation<Void, Never>)] = []
        for waiter in waiters {
            if waiter.needs.allSatisfy(done.contains) { waiter.continuation.resume() } else { waiting.append(waiter) }
        }
        waiters = waiting
    }

    func adopt(_ learned: TokenChain) { chain.merge(learned) }
    func outgoing(pollingPayload text: String) -> String { acks.outgoing(pollingPayload: text) }
    func incoming(pollingPayload text: String) -> String { acks.incoming(pollingPayload: text) }
    var ackNote: String? { acks.note }
    func answeredPing() { pingsAnswered += 1 }

    /// A fresh `t=` for the next poll: this run's own, never the recorded one.
    func cacheBuster(now: Double) -> String {
        polls += 1
        return "\(Int(now * 1000))-\(polls)"
    }
}

extension ReplayDriver {
    /// Runs a logical long-polling session's connections at the same time
    /// (see `PollingSessionPlan`); one result per connection, each with its
    /// own exchanges' differences. `chain` learns the live values.
    func runPolling(_ polling: PollingSessionPlan, of plan: ReplayPlan, chain: inout TokenChain, options: ReplayOptions) async -> [(index: Int, result: SessionResult)] {
        let coordinator = PollingCoordinator(chain: chain)
        let group = self.group
        let started = ContinuousClock.now
        let results = await withTaskGroup(of: (Int, SessionResult).self) { tasks in
            for (member, index) in polling.members.enumerated() {
                tasks.addTask {
                    let startedAt = options.clock()
                    var run = SessionRun(plan: plan.sessions[index], options: options, group: group)
                    await run.poll(polling, member: member, started: started, coordinator: coordinator)
                    return (index, run.result(startedAt: startedAt))
                }
            }
            var out: [(Int, SessionResult)] = []
            for await result in tasks { out.append(result) }
            return out.sorted { $0.0 < $1.0 }
        }
        chain = await coordinator.chain
        // The shared notes go with the logical session's first connection.
        var shared: [String] = []
        if let note = await coordinator.ackNote { shared.append("engine.io long-polling: \(note)") }
        let pings = await coordinator.pingsAnswered
        if pings > 0 { shared.append("engine.io long-polling: answered \(pings) engine.io ping\(pings == 1 ? "" : "s") of the target") }
        var out = results.map { (index: $0.0, result: $0.1) }
        if !out.isEmpty { out[0].result.notes += shared }
        return out
    }
}

extension SessionRun {
    /// This connection's exchanges of the logical session, each sent once
    /// the exchanges recorded as answered before it have their live answer.
    /// After a failed exchange the connection's later ones are not sent (as
    /// a session stops at its first failure), and are finished for the others.
    mutating func poll(_ polling: PollingSessionPlan, member: Int, started: ContinuousClock.Instant, coordinator: PollingCoordinator) async {
        var failed = false
        var heartbeats = 0
        for (i, item) in polling.exchanges.enumerated() where item.member == member {
            if failed || item.heartbeat {
                if item.heartbeat { heartbeats += 1 }
                await coordinator.finished(i)
                continue
            }
            await coordinator.wait(for: item.after)
            let gap = options.pace.gap(from: polling.startedAt, to: item.step.request.at)
            if gap > 0 { try? await Task.sleep(until: started + .milliseconds(Int64(gap * 1000)), clock: .continuous) }
            failed = !(await pollingExchange(item, coordinator: coordinator))
            await coordinator.finished(i)
        }
        // Connections close once the whole logical session is done: a server
        // may take a dropped poll connection for the client leaving.
        await coordinator.wait(for: Array(polling.exchanges.indices))
        if heartbeats > 0 {
            notes.append("\(heartbeats) recorded heartbeat exchange\(heartbeats == 1 ? "" : "s") (`2`/`3` only) not replayed: the target's own pings are answered")
        }
        if let connection {
            await connection.close()
            self.connection = nil
        }
    }

    /// One exchange: tokens and the live sid chained, a fresh `t=`, ack ids
    /// renumbered; a GET the target answered with its ping alone is answered
    /// (`3`) and polled again; the answer is compared packet by packet.
    mutating func pollingExchange(_ item: PollingSessionPlan.Exchange, coordinator: PollingCoordinator) async -> Bool {
        let step = item.step
        var chain = await coordinator.chain
        var request = live(step.request, exchange: step.exchange, chain: chain)
        request.target = EngineIOQuery.replacingCacheBuster(in: request.target, with: await coordinator.cacheBuster(now: options.clock()))
        if case .text(let recorded)? = request.body {
            // A recorded pong batched with other packets (`3\u{1E}421[…]`) answered the recorded run's ping: left out.
            let packets = EngineIOHeartbeat.withoutHeartbeats(request.body)?.text ?? recorded
            let body = await coordinator.outgoing(pollingPayload: packets)
            if body != recorded { request = TokenChain.replacingTextBody(of: request, with: body) }
        }
        let label = "exchange \(step.exchange + 1) (\(Self.label(request)))"
        if item.abandoned {
            // Its recorded answer came after the session was closed: the client never read it.
            guard await ensureConnected(label), let connection else { return false }
            transcript.sent(request)
            try? await connection.send(request)
            notes.append("\(label): the client's last poll, still held when it closed the session: sent, its answer not awaited")
            return true
        }
        let until = ContinuousClock.now + .nanoseconds(Int64(options.timeout * 1e9))
        guard var response = await exchange(request, label: label) else { return false }
        let recordedHeartbeat = EngineIOHeartbeat.isHeartbeatPayload(step.expectedResponse?.body)
        while request.method == "GET", Self.hasPing(response.body) {
            await answerPing(after: request, coordinator: coordinator)
            // A ping alone where the recording had packets: poll again for them.
            guard EngineIOHeartbeat.isHeartbeatPayload(response.body), !recordedHeartbeat else { break }
            guard ContinuousClock.now < until else {
                differences.append("\(label): only engine.io pings within \(timeoutText), no packets")
                return false
            }
            request.target = EngineIOQuery.replacingCacheBuster(in: request.target, with: await coordinator.cacheBuster(now: options.clock()))
            guard let next = await exchange(request, label: label) else { return false }
            response = next
        }
        var compared = response
        if case .text(let body)? = response.body { compared.body = .text(await coordinator.incoming(pollingPayload: body)) }
        differences += comparator.compare(expectedPolling: step.expectedResponse, actual: compared).map { "\(label): \($0)" }
        notes += chain.learn(recorded: step.expectedResponse, live: response).map { "\(label): \($0)" }
        await coordinator.adopt(chain)
        if response.headers.listElements("Connection").contains(where: { $0.lowercased() == "close" }) {
            if let connection { await connection.close() }
            connection = nil
        }
        return true
    }

    /// A polling payload with a heartbeat ping (`2`) in it.
    static func hasPing(_ body: Body?) -> Bool {
        guard case .text(let text)? = body else { return false }
        return text.split(separator: EngineIOPacket.separator, omittingEmptySubsequences: false).contains { $0 == EngineIOHeartbeat.ping }
    }

    /// The pong (`3`), POSTed on a connection of its own: this session's
    /// connections may each be waiting on an answer.
    func answerPing(after poll: HTTPRequest, coordinator: PollingCoordinator) async {
        var pong = poll
        pong.method = "POST"
        pong.headers = poll.headers.filter { !["content-length", "content-type"].contains($0.name.lowercased()) }
            + [HeaderField("Content-Type", "text/plain;charset=UTF-8"), HeaderField("Content-Length", "1")]
        pong.body = .text(EngineIOHeartbeat.pong)
        let tls = options.target.tls ? options.tls : nil
        guard let connection = try? await ReplayConnection.connect(
            to: options.target, tls: tls, group: group, timeout: timeout, maxMessageSize: options.maxMessageSize
        ) else { return }
        if (try? await connection.send(pong)) != nil {
            while let event = try? await connection.next(deadline: deadline) {
                if case .response = event {
                    await coordinator.answeredPing()
                    break
                }
                if case .closed = event { break }
                if case .failed = event { break }
            }
        }
        await connection.close()
    }
}
