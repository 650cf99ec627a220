import Foundation

struct DemoClientError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body` for at most `seconds`, then cancels it and throws.
///
/// The timeout does not wait for `body` to end: WSClient waits for the upgrade
/// response on a future that cancellation does not complete, so a server that
/// accepts and never answers would otherwise hold the step past `--timeout`.
/// The abandoned work ends when the tour stops that server.
func bounded<T: Sendable>(
    _ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let outcome = Outcome<T>()
    let work = Task { try await body() }
    Task { outcome.finish(await work.result) }
    let timer = Task {
        try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
        outcome.finish(.failure(DemoClientError("\(what): no complete answer within \(seconds) s")))
    }
    defer {
        work.cancel()
        timer.cancel()
    }
    return try await withTaskCancellationHandler {
        try await outcome.value
    } onCancel: {
        work.cancel()
    }
}

/// The first result of the race; later ones are dropped.
private final class Outcome<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var result: Result<T, any Error>?
    private var waiter: CheckedContinuation<T, any Error>?

    func finish(_ result: Result<T, any Error>) {
        let waiter: CheckedContinuation<T, any Error>? = lock.withLock {
            guard self.result == nil else { return nil }
            self.result = result
            defer { self.waiter = nil }
            return self.waiter
        }
        waiter?.resume(with: result)
    }

    var value: T {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let ready: Result<T, any Error>? = lock.withLock {
                    if result == nil { waiter = continuation }
                    return result
                }
                if let ready { continuation.resume(with: ready) }
            }
        }
    }
}
