public import Foundation
public import XCTest

/// One of the package's server executables (`authreplay serve`,
/// `staging-service`) run as a user runs it: started, its first stdout line
/// (`listening on http://HOST:PORT`) read with a deadline, stopped by signal.
public final class ServerProcess: @unchecked Sendable {
    public let process: Process
    public let firstLine: String
    public let stderr: Pipe
    private let exit: ProcessExit
    /// Keeps reading stdout after the first line, so the server never blocks on a full pipe.
    private let stdout: StdoutReader

    /// Why `start` gave up; the process is gone by the time this is thrown.
    public struct StartFailure: Error, CustomStringConvertible {
        public var executable: String
        public var reason: String
        /// Whether the process still ran after SIGTERM and SIGKILL (it should never).
        public var stillRunning: Bool
        /// The signal that ended it (nil when it exited on its own).
        public var terminationSignal: Int32?
        public var description: String {
            "\(executable): \(reason)" + (stillRunning ? " (and it survived SIGKILL)" : "")
        }
    }

    /// The executable built next to the test runner (on Linux the runner is
    /// the .xctest executable; on macOS it is inside the bundle).
    public static func executable(_ name: String) -> URL? {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = runner.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }

    /// Starts the package's executable `name` with `arguments`; skips the test
    /// when it is not built (fails it under CI=true).
    public static func start(_ name: String, _ arguments: [String], deadline: Double = 10) async throws -> ServerProcess {
        guard let executable = executable(name) else { throw missingRequirement("the \(name) executable is not built next to the tests") }
        return try await start(executable: executable, arguments, deadline: deadline)
    }

    /// Starts any executable and waits up to `deadline` seconds for its first
    /// stdout line. stdout is read on a thread of its own, so the deadline
    /// fires even when the process never prints; then, or when stdout closes
    /// first, the process is stopped (SIGTERM, SIGKILL after a second) and
    /// `StartFailure` is thrown.
    public static func start(executable: URL, _ arguments: [String], deadline: Double = 10) async throws -> ServerProcess {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let stdoutPipe = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdoutPipe
        process.standardError = stderr
        let exit = ProcessExit()
        process.terminationHandler = { _ in exit.signal() }
        try runWithDefaultSignalMask(process)
        let reader = StdoutReader(stdoutPipe.fileHandleForReading)
        let reason: String
        do {
            let line = try await withDeadline(deadline) { try await reader.firstLine.value() }
            return ServerProcess(process: process, firstLine: line, stderr: stderr, exit: exit, stdout: reader)
        } catch is TestTimeout {
            reason = "no line on stdout within \(deadline) s"
        } catch {
            reason = "\(error)"
        }
        let signal = await end(process, exit)
        throw StartFailure(executable: executable.path, reason: reason, stillRunning: process.isRunning, terminationSignal: signal)
    }

    private init(process: Process, firstLine: String, stderr: Pipe, exit: ProcessExit, stdout: StdoutReader) {
        self.process = process
        self.firstLine = firstLine
        self.stderr = stderr
        self.exit = exit
        self.stdout = stdout
    }

    deinit { if process.isRunning { process.terminate() } }

    /// The URL of the `listening on` line (nil when the first line was something else).
    public var baseURL: String? {
        firstLine.hasPrefix("listening on ") ? String(firstLine.dropFirst("listening on ".count)) : nil
    }

    /// Sends `signal` and waits (bounded) for the exit; the exit status. On
    /// timeout the process is killed and `TestTimeout` thrown.
    public func stop(signal: Int32 = SIGTERM, timeout: Double = 10) async throws -> Int32 {
        kill(process.processIdentifier, signal)
        do {
            try await withDeadline(timeout) { [exit] in try await exit.exited.value() }
        } catch {
            _ = await Self.end(process, exit)
            throw error
        }
        return process.terminationStatus
    }

    /// Launches `process` from a thread that blocks no signals. A child
    /// inherits the launching thread's signal mask, and the threads async
    /// tests run on block most signals (SIGTERM, SIGINT among them): a server
    /// started from there would not be run as a user runs it.
    private static func runWithDefaultSignalMask(_ process: Process) throws {
        let launched = DispatchSemaphore(value: 0)
        let failure = Box<String?>(nil)
        let thread = Thread {
            var none = sigset_t()
            sigemptyset(&none)
            pthread_sigmask(SIG_SETMASK, &none, nil)
            do { try process.run() } catch { failure.update { $0 = "\(error)" } }
            launched.signal()
        }
        thread.start()
        launched.wait()
        if let failure = failure.value { throw StartFailure(executable: process.executableURL?.path ?? "?", reason: "cannot launch: \(failure)", stillRunning: false, terminationSignal: nil) }
    }

    /// SIGTERM, and SIGKILL when the process is still there a second later;
    /// waits for the exit. The signal that ended it, nil when it exited normally.
    private static func end(_ process: Process, _ exit: ProcessExit) async -> Int32? {
        if process.isRunning {
            process.terminate()
            if (try? await withDeadline(1) { try await exit.exited.value() }) == nil {
                kill(process.processIdentifier, SIGKILL)
                _ = try? await withDeadline(5) { try await exit.exited.value() }
            }
        }
        guard !process.isRunning else { return nil }
        return process.terminationReason == .uncaughtSignal ? process.terminationStatus : nil
    }
}

/// The process's exit, as an event (`Process.terminationHandler`).
private final class ProcessExit: Sendable {
    let exited = OneShot<Void>()
    func signal() { exited.settle(.success(())) }
}

/// Reads a pipe on a dedicated thread (a blocking read never holds up the
/// concurrency pool): the first line is delivered as soon as it is complete,
/// everything after it is read and kept until the pipe closes.
private final class StdoutReader: @unchecked Sendable {
    struct ClosedBeforeALine: Error, CustomStringConvertible {
        var partial: String
        var description: String { "stdout closed before a full line" + (partial.isEmpty ? "" : " (got \(partial.debugDescription))") }
    }

    let firstLine = OneShot<String>()
    private let handle: FileHandle
    private let lock = NSLock()
    private var bytes: [UInt8] = []

    init(_ handle: FileHandle) {
        self.handle = handle
        let thread = Thread { [self] in run() }
        thread.name = "ServerProcess stdout"
        thread.start()
    }

    private func run() {
        let fd = handle.fileDescriptor
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            let line: String? = lock.withLock {
                bytes += chunk[..<count]
                guard !firstLine.isSettled, let newline = bytes.firstIndex(of: 10) else { return nil }
                return String(decoding: bytes[..<newline], as: UTF8.self)
            }
            if let line { firstLine.settle(.success(line)) }
        }
        let partial = lock.withLock { String(decoding: bytes, as: UTF8.self) }
        firstLine.settle(.failure(ClosedBeforeALine(partial: partial)))
    }
}
