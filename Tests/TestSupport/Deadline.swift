import Foundation

public struct TestTimeout: Error, CustomStringConvertible {
    public var seconds: Double
    public var description: String { "timed out after \(seconds) s" }

    public init(seconds: Double) { self.seconds = seconds }
}

/// Runs `body` with a deadline; a test never hangs. The deadline fires even
/// when `body` ignores cancellation or is stuck in a blocking call: it is a
/// timer on a dispatch queue, raced against `body`, and `withDeadline` does not
/// wait for `body` to return once the timer has fired (`body` is cancelled
/// and left to finish on its own).
public func withDeadline<T: Sendable>(_ seconds: Double = 10, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let outcome = OneShot<T>()
    let work = Task {
        do { outcome.settle(.success(try await body())) } catch { outcome.settle(.failure(error)) }
    }
    let timer = DispatchWorkItem { outcome.settle(.failure(TestTimeout(seconds: seconds))) }
    DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: timer)
    defer {
        timer.cancel()
        work.cancel()
    }
    return try await withTaskCancellationHandler {
        try await outcome.value()
    } onCancel: {
        outcome.settle(.failure(CancellationError()))
    }
}

/// Polls `condition` every 20 ms until it holds or the deadline passes.
public func eventually(_ seconds: Double = 5, _ condition: @Sendable () -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while !condition() {
        guard ContinuousClock.now < deadline else { throw TestTimeout(seconds: seconds) }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// A result that is set once (later attempts are ignored) and awaited by
/// anyone: the first of several racing events wins.
public final class OneShot<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, any Error>?
    private var waiters: [CheckedContinuation<T, any Error>] = []

    public init() {}

    /// Sets the result unless one is set already; false when it was.
    @discardableResult
    public func settle(_ result: Result<T, any Error>) -> Bool {
        let woken: [CheckedContinuation<T, any Error>]? = lock.withLock {
            guard self.result == nil else { return nil }
            self.result = result
            defer { waiters = [] }
            return waiters
        }
        guard let woken else { return false }
        for waiter in woken { waiter.resume(with: result) }
        return true
    }

    public var isSettled: Bool { lock.withLock { result != nil } }

    /// The result, once it is set.
    public func value() async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<T, any Error>? = lock.withLock {
                if result == nil { waiters.append(continuation) }
                return result
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}

/// A value shared between a test and the callbacks it hands out.
public final class Box<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T

    public init(_ value: T) { stored = value }

    public var value: T { lock.withLock { stored } }

    public func update(_ change: (inout T) -> Void) { lock.withLock { change(&stored) } }
}
