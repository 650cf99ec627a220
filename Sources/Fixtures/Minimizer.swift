public import TrafficModel

/// Delta debugging over a recording (`authreplay minimize`): sessions first,
/// then each kept session's exchanges, then each kept WebSocket's client
/// steps, keeping at every level the smallest part for which `reproduces`
/// still holds. `reproduces` runs the candidate the selection names (against
/// a target or the mock) and says whether the outcome showed; it is the only
/// I/O. A selection, not a recording, so the caller can apply it to each
/// form it needs (the secrets bound for sending, the redacted one to serve).
public struct Minimizer: Sendable {
    /// At most this many candidate runs; past it, what was reached is kept
    /// (it reproduces: every kept step was tested).
    public var maximumRuns: Int

    public init(maximumRuns: Int = 500) {
        self.maximumRuns = maximumRuns
    }

    public struct Result: Sendable {
        /// The reduced recording.
        public var recording: Recording
        /// What was kept, to apply to another form of the same recording
        /// (the redacted one, when the runs used bound secrets).
        public var selection: Selection
        /// Candidate runs, the first (the whole recording) included.
        public var runs: Int
        /// True when `maximumRuns` stopped the search before it finished.
        public var budgetReached: Bool
        public var before: Counts
        public var after: Counts
    }

    /// Sizes of a recording, to say what was removed.
    public struct Counts: Sendable, Hashable, CustomStringConvertible {
        public var sessions: Int
        public var exchanges: Int
        public var messages: Int

        public init(_ recording: Recording) {
            sessions = recording.sessions.count
            exchanges = recording.sessions.reduce(0) { $0 + $1.exchanges.count }
            messages = recording.sessions.reduce(0) { $0 + ($1.websocket?.messages.count ?? 0) }
        }

        public var description: String {
            "\(sessions) session\(sessions == 1 ? "" : "s"), \(exchanges) exchange\(exchanges == 1 ? "" : "s"), \(messages) WebSocket message\(messages == 1 ? "" : "s")"
        }
    }

    public func minimize(
        _ recording: Recording, reproduces: (Selection) async -> Bool
    ) async throws(FixturesError) -> Result {
        guard !recording.sessions.isEmpty else { throw FixturesError(.nothingToReduce, "the recording has no session to reduce") }
        var runs = 1
        let everything = Selection(sessions: Array(recording.sessions.indices), exchanges: [:], steps: [:])
        guard await reproduces(everything) else {
            throw FixturesError(.notReproduced, "the whole recording does not reproduce the outcome: nothing to keep it for (check --until and the target)")
        }
        var budgetReached = false
        let limit = maximumRuns
        // Past the budget every candidate counts as not reproducing, so what is kept stays one that did.
        func test(_ candidate: Selection) async -> Bool {
            guard runs < limit else {
                budgetReached = true
                return false
            }
            runs += 1
            return await reproduces(candidate)
        }

        var sessions = Array(recording.sessions.indices)
        var exchanges: [Int: [Int]] = [:]
        var steps: [Int: [Int]] = [:]

        var dd = DeltaDebugging<Int>()
        sessions = await dd.minimize(sessions) { subset in
            await test(Selection(sessions: subset, exchanges: [:], steps: [:]))
        }
        for s in sessions {
            var ddx = DeltaDebugging<Int>()
            let all = Array(recording.sessions[s].exchanges.indices)
            let fixed = exchanges
            exchanges[s] = await ddx.minimize(all) { subset in
                var candidate = fixed
                candidate[s] = subset
                return await test(Selection(sessions: sessions, exchanges: candidate, steps: [:]))
            }
        }
        for s in sessions {
            let candidateSteps = Reduction.steps(of: recording.sessions[s])
            let kept = Reduction.keep(recording, sessions: [s], exchanges: exchanges)
            guard !candidateSteps.isEmpty, kept.sessions.first?.websocket != nil else { continue }
            var dds = DeltaDebugging<Int>()
            let fixed = steps
            steps[s] = await dds.minimize(Array(candidateSteps.indices), allowEmpty: true) { subset in
                var candidate = fixed
                candidate[s] = subset
                return await test(Selection(sessions: sessions, exchanges: exchanges, steps: candidate))
            }
        }
        let selection = Selection(sessions: sessions, exchanges: exchanges, steps: steps)
        let reduced = selection.apply(to: recording)
        return Result(recording: reduced, selection: selection, runs: runs, budgetReached: budgetReached, before: Counts(recording), after: Counts(reduced))
    }
}

/// Indices of what `Minimizer` kept (see `Reduction.keep`).
public struct Selection: Sendable, Hashable {
    public var sessions: [Int]
    public var exchanges: [Int: [Int]]
    public var steps: [Int: [Int]]

    public func apply(to recording: Recording) -> Recording {
        Reduction.keep(recording, sessions: sessions, exchanges: exchanges, steps: steps)
    }
}
