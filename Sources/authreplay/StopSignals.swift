import UnixSignals

/// SIGINT and SIGTERM: how every long-running command is stopped (capture,
/// import, serve, record), through swift-service-lifecycle's
/// `UnixSignalsSequence`. The handlers are in place when `trap()` returns,
/// so a signal sent right after the command's first line is never lost to
/// the default action.
struct StopSignals: Sendable {
    private let signals: UnixSignalsSequence

    static func trap() async -> StopSignals {
        StopSignals(signals: await UnixSignalsSequence(trapping: .sigint, .sigterm))
    }

    /// Waits for the first stop signal; its name (`SIGINT`, `SIGTERM`).
    func next() async -> String {
        for await signal in signals { return signal.description }
        return "the end of the signal stream"
    }

    /// Calls `stop` on each stop signal until `cancel()` is called on the
    /// returned task (for work that runs synchronously meanwhile).
    func onEach(_ stop: @escaping @Sendable () -> Void) -> Task<Void, Never> {
        let signals = self.signals
        return Task {
            for await _ in signals { stop() }
        }
    }
}
