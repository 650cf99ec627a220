public import Foundation
import XCTest

/// Runs the built `authreplay` executable as a user would (NO_COLOR set, so output is plain).
public struct CLIResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

public enum CLI {
    public static let repositoryRoot = Corpus.packageRoot

    /// The executable sits next to the test bundle in the build products directory.
    /// On Linux the test runner is the `.xctest` executable itself, in the
    /// products directory beside `authreplay`.
    public static var executable: URL {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let candidate = runner.deletingLastPathComponent().appendingPathComponent("authreplay")
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        return URL(fileURLWithPath: "\(repositoryRoot)/.build/debug/authreplay")
    }

    @discardableResult
    public static func run(_ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 60) throws -> CLIResult {
        try run(executable: executable, arguments, environment: environment, timeout: timeout)
    }

    /// Any executable (a peer tool such as k6), run the same way from the repository root.
    @discardableResult
    public static func run(executable: URL, _ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 60) throws -> CLIResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes concurrently so a chatty process cannot block on a full pipe.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        if group.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            XCTFail("\(executable.lastPathComponent) \(arguments) did not finish within \(timeout) s")
        }
        process.waitUntilExit()
        return CLIResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    /// The same, off the caller's thread, so a server in this process keeps serving meanwhile.
    public static func runOffThread(_ arguments: [String], environment: [String: String] = [:], timeout: TimeInterval = 60) async throws -> CLIResult {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try run(arguments, environment: environment, timeout: timeout) })
            }
        }
    }
}
