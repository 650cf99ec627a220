import Foundation
import XCTest

/// One of the package's server executables (`authreplay serve`,
/// `staging-service`) run as a user runs it: started, its first stdout line
/// (`listening on http://HOST:PORT`) read with a deadline, stopped by signal.
public final class ServerProcess: @unchecked Sendable {
    public let process: Process
    public let firstLine: String
    public let stderr: Pipe

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

    /// Starts `name` with `arguments`; skips the test when it is not built.
    public static func start(_ name: String, _ arguments: [String]) async throws -> ServerProcess {
        guard let executable = executable(name) else { throw XCTSkip("the \(name) executable is not built next to the tests") }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        do {
            let line = try await withDeadline(10) {
                var bytes: [UInt8] = []
                while !bytes.contains(10) {
                    let chunk = stdout.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    bytes += chunk
                }
                return String(decoding: bytes.prefix { $0 != 10 }, as: UTF8.self)
            }
            return ServerProcess(process: process, firstLine: line, stderr: stderr)
        } catch {
            process.terminate()
            throw error
        }
    }

    private init(process: Process, firstLine: String, stderr: Pipe) {
        self.process = process
        self.firstLine = firstLine
        self.stderr = stderr
    }

    deinit { if process.isRunning { process.terminate() } }

    /// The URL of the `listening on` line (nil when the first line was something else).
    public var baseURL: String? {
        firstLine.hasPrefix("listening on ") ? String(firstLine.dropFirst("listening on ".count)) : nil
    }

    /// Sends `signal` and waits (bounded) for the exit; the exit status.
    public func stop(signal: Int32 = SIGTERM, timeout: Double = 10) async throws -> Int32 {
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            guard Date() < deadline else {
                process.terminate()
                throw TestTimeout(seconds: timeout)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return process.terminationStatus
    }
}
