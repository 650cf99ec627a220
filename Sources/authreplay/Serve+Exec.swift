import Foundation
import MockStaging
import TrafficModel

/// `serve --exec -- CMD ARGS…`: the mock around one run of a test command,
/// with a verdict CI can trust.
extension Serve {
    func runCommand(against server: MockStagingServer, recordings: [(name: String, recording: Recording)], stopSignals: StopSignals) async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["AUTHREPLAY_URL"] = server.baseURL
        environment["AUTHREPLAY_WS_URL"] = "ws" + server.baseURL.dropFirst("http".count)
        Terminal.info("authreplay: mock listening on \(server.baseURL); running \(command.joined(separator: " "))")
        let status: Int32
        do {
            status = try await ChildProcess.run(command, environment: environment, stopSignals: stopSignals)
        } catch {
            try await server.stop()
            Terminal.error("cannot run \(command[0]): \(error.localizedDescription)")
            throw CommandFailure(code: ChildProcess.cannotRun)
        }
        let journal = server.journal
        try await server.stop()

        let summary = JournalSummary(journal: journal, recordings: recordings)
        let unmatched = summary.unmatched + summary.webSocketMismatches
        if !unmatched.isEmpty { Terminal.info("unmatched:\n" + unmatched.map { "  \($0)" }.joined(separator: "\n")) }
        Terminal.info(summary.line)
        if let junit {
            do {
                try summary.junit(allowUnmatched: allowUnmatched).render().write(toFile: junit, atomically: true, encoding: .utf8)
            } catch {
                Terminal.error("\(junit): cannot write the JUnit report: \(error.localizedDescription)")
                throw CommandFailure(code: Exit.failure)
            }
        }
        let code = Self.exitCode(commandStatus: status, summary: summary, allowUnmatched: allowUnmatched)
        if status != 0 {
            Terminal.error("\(command[0]) exited with status \(status)")
        } else if summary.sawNoRequest {
            // Framed, so it stands out in a CI log full of the command's output.
            let rule = String(repeating: "!", count: JournalSummary.noRequest.count + 7)
            Terminal.info(rule)
            Terminal.error(JournalSummary.noRequest)
            Terminal.info(rule)
        } else if code != Exit.ok {
            Terminal.error("\(summary.unmatched.count + summary.webSocketMismatches.count) unmatched: the command sent what no recording answers (--allow-unmatched accepts that)")
        }
        if code != Exit.ok { throw CommandFailure(code: code) }
    }

    /// The command's status when non-zero; else 1 when it sent nothing, or
    /// sent anything unmatched (unless allowed); else 0.
    static func exitCode(commandStatus: Int32, summary: JournalSummary, allowUnmatched: Bool) -> Int32 {
        if commandStatus != 0 { return commandStatus }
        if summary.sawNoRequest { return Exit.failure }
        if !allowUnmatched, !summary.unmatched.isEmpty || !summary.webSocketMismatches.isEmpty { return Exit.failure }
        return Exit.ok
    }
}

/// One child process with inherited stdin/stdout/stderr, found on PATH (by
/// /usr/bin/env, which also gives the shell's 127 for a missing command).
enum ChildProcess {
    /// The status when the child cannot be started at all (a shell's "command not found").
    static let cannotRun: Int32 = 127

    /// Runs `argv` to its end; SIGINT/SIGTERM meanwhile are passed on to it.
    /// Its exit status, or 128+N when signal N ended it (as a shell reports it).
    static func run(_ argv: [String], environment: [String: String], stopSignals: StopSignals) async throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["--"] + argv
        process.environment = environment
        let exited = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { finished in
            let status = finished.terminationReason == .uncaughtSignal ? 128 + finished.terminationStatus : finished.terminationStatus
            exited.continuation.yield(status)
            exited.continuation.finish()
        }
        try process.run()
        let pid = process.processIdentifier
        let forwarding = stopSignals.onEach { kill(pid, SIGTERM) }
        defer { forwarding.cancel() }
        for await status in exited.stream { return status }
        return Int32(Exit.failure)
    }
}
