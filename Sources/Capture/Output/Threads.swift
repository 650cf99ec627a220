#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pthread mutex with condition variables: the blocking handoffs between
/// the threads of a capture run. Several conditions let a thread wake only
/// the ones waiting for what it changed (`import --jobs`: a worker's queue,
/// the writer's next session), not every thread at each change.
final class ConditionLock: @unchecked Sendable {  // the pthread objects do the locking
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let conditions: UnsafeMutablePointer<pthread_cond_t>
    private let count: Int

    init(conditions: Int = 1) {
        count = max(1, conditions)
        self.conditions = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: count)
        pthread_mutex_init(mutex, nil)
        for c in 0..<count { pthread_cond_init(self.conditions + c, nil) }
    }

    deinit {
        for c in 0..<count { pthread_cond_destroy(conditions + c) }
        pthread_mutex_destroy(mutex)
        conditions.deallocate()
        mutex.deallocate()
    }

    /// Runs `body` holding the lock; `body` may call `wait`.
    func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Releases the lock until a `broadcast` of `condition`, then takes it again (inside `withLock`).
    func wait(_ condition: Int = 0) { pthread_cond_wait(conditions + condition, mutex) }

    func broadcast(_ condition: Int = 0) { pthread_cond_broadcast(conditions + condition) }
}

/// A thread of its own (not a dispatch or Swift concurrency worker: it
/// blocks for a whole import), joined by `join`.
final class JoinableThread {
    private var thread: pthread_t?

    /// Starts `body` with an 8 MiB stack (the main thread's: JSON values nest).
    init(_ body: @escaping @Sendable () -> Void) {
        final class Box { let body: @Sendable () -> Void; init(_ body: @escaping @Sendable () -> Void) { self.body = body } }
        let argument = Unmanaged.passRetained(Box(body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, 8 << 20)
        var created = pthread_t()
        let status = pthread_create(&created, &attributes, { argument in
            Unmanaged<Box>.fromOpaque(argument!).takeRetainedValue().body()
            return nil
        }, argument)
        // Out of threads is not worth a recovery path: the process could not go on either.
        precondition(status == 0, "pthread_create failed: \(status)")
        thread = created
    }

    /// Waits for the thread's body to return.
    func join() {
        guard let thread else { return }
        pthread_join(thread, nil)
        self.thread = nil
    }
}

/// Hands a value that is not Sendable to another thread, which becomes its
/// only user (the sender never touches it again).
struct Transfer<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
