import Synchronization
import TrafficModel

/// Every session of a proxy run, open or ended, under one lock: connections
/// run on several event loops and `recording()` may be called at any time.
final class ProxyRecordingStore: Sendable {
    private struct State: Sendable {
        var recorders: [ProxySessionRecorder] = []
        var stopped = false
        /// Body and WebSocket bytes recorded so far, against `budget`.
        var recordedBytes = 0
    }

    let capturedAt: Timestamp
    /// The most body and WebSocket bytes the run keeps in memory.
    let budget: Int
    private let clock: @Sendable () -> Double
    private let state = Mutex(State())

    init(budget: Int = RecordingProxy.Configuration.defaultRecordingBudget, clock: @escaping @Sendable () -> Double) {
        self.budget = budget
        self.clock = clock
        self.capturedAt = Timestamp(seconds: clock())
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
            let id = "s\(state.recorders.count + 1)"
            state.recorders.append(ProxySessionRecorder(id: id, client: client, server: server, start: start))
            return state.recorders.count - 1
        }
    }

    @discardableResult
    func update<T: Sendable>(_ index: Int, _ body: (inout ProxySessionRecorder) -> T) -> T {
        state.withLock { body(&$0.recorders[index]) }
    }

    /// Payload bytes (a body chunk, WebSocket bytes) for a session: recorded
    /// while the run's budget lasts; once it is spent the session stops
    /// recording payloads, with an anomaly. They are forwarded either way.
    func payload(_ index: Int, count: Int, at: Double, _ record: (inout ProxySessionRecorder) -> Void) {
        state.withLock { state in
            if state.recordedBytes + count <= budget {
                state.recordedBytes += count
                record(&state.recorders[index])
            } else {
                state.recorders[index].stopRecordingPayloads(budget: budget, at: at)
            }
        }
    }

    func sessions() -> [Session] {
        state.withLock { $0.recorders.map(\.session) }
    }

    /// Refuses new sessions and ends the open ones as `cut`.
    func stop() -> [Session] {
        let at = now()
        return state.withLock { state in
            state.stopped = true
            for i in state.recorders.indices where !state.recorders[i].isEnded {
                state.recorders[i].finish(kind: .cut, by: nil, at: at)
            }
            return state.recorders.map(\.session)
        }
    }
}
