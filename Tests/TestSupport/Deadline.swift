import Foundation

public struct TestTimeout: Error, CustomStringConvertible {
    public var seconds: Double
    public var description: String { "timed out after \(seconds) s" }

    public init(seconds: Double) { self.seconds = seconds }
}

/// Runs `body` with a deadline; a test never hangs.
public func withDeadline<T: Sendable>(_ seconds: Double = 10, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            throw TestTimeout(seconds: seconds)
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw TestTimeout(seconds: seconds) }
        return first
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

/// A value shared between a test and the callbacks it hands out.
public final class Box<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T

    public init(_ value: T) { stored = value }

    public var value: T { lock.withLock { stored } }

    public func update(_ change: (inout T) -> Void) { lock.withLock { change(&stored) } }
}
