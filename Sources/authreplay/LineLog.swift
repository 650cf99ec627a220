import Foundation

/// Log lines for a file descriptor (stderr), written by one background
/// thread, so that an event loop serving connections never waits on a
/// terminal or a full pipe, and a burst of lines becomes one `write`.
///
/// At most `limit` bytes wait; a line that would go past that is dropped
/// and counted (a mock must keep serving when nobody reads its stderr),
/// and the count is written once the writer catches up.
final class LineLog: @unchecked Sendable {
    static let defaultLimit = 4 << 20
    /// How long the writer lets lines gather after the first (10 ms).
    static let gatherMicroseconds: UInt32 = 10_000

    private let condition = NSCondition()
    private var pending: [UInt8] = []
    private var dropped = 0
    /// Bytes handed to the thread and not yet written: `flush()` waits for 0.
    private var inFlight = 0
    private let fd: Int32
    private let limit: Int

    init(fd: Int32 = STDERR_FILENO, limit: Int = LineLog.defaultLimit) {
        self.fd = fd
        self.limit = limit
        let thread = Thread { [self] in run() }
        thread.name = "authreplay.log"
        thread.start()
    }

    func write(_ line: String) {
        condition.lock()
        defer { condition.unlock() }
        guard pending.count + line.utf8.count < limit else {
            dropped += 1
            condition.broadcast()  // the writer reports the count even when nothing else waits
            return
        }
        let wasEmpty = pending.isEmpty
        pending.append(contentsOf: line.utf8)
        pending.append(0x0A)
        if wasEmpty { condition.broadcast() }
    }

    /// Returns once every line written before the call is out, or after
    /// `timeout` seconds when stderr is not being read (a stopping mock must
    /// not hang on a pipe nobody drains).
    func flush(timeout: Double = 2) {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while !pending.isEmpty || inFlight > 0 || dropped > 0 {
            if !condition.wait(until: deadline) { return }
        }
    }

    private func run() {
        var batch: [UInt8] = []
        while true {
            condition.lock()
            while pending.isEmpty && dropped == 0 { condition.wait() }
            // Let a burst gather: at most one wake-up and one write per interval
            // however many connections log, instead of one per line.
            condition.unlock()
            usleep(Self.gatherMicroseconds)
            condition.lock()
            swap(&batch, &pending)
            if dropped > 0 {
                batch.append(contentsOf: "… \(dropped) log line\(dropped == 1 ? "" : "s") dropped: stderr was not read fast enough\n".utf8)
                dropped = 0
            }
            inFlight = batch.count
            condition.unlock()
            Self.writeAll(batch, to: fd)
            batch.removeAll(keepingCapacity: true)
            condition.lock()
            inFlight = 0
            condition.broadcast()
            condition.unlock()
        }
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0, errno == EINTR {
                    continue
                } else {
                    return  // stderr closed or broken: the lines are lost, serving goes on
                }
            }
        }
    }
}
