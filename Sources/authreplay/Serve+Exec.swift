import Foundation
import MockStaging
import TrafficModel

/// `serve --exec -- CMD ARGS…`: the mock around one run of a test command,
/// with a verdict CI can trust.
extension Serve {
    func runCommand(against server: MockStagingServer, recordings: [(name: String, recording: Recording)], stopSignals: StopSignals, log: LineLog) async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["AUTHREPLAY_URL"] = server.baseURL
        environment["AUTHREPLAY_WS_URL"] = "ws" + server.baseURL.dropFirst("http".count)
        log.write("authreplay: mock listening on \(server.baseURL); running \(command.joined(separator: " "))")
        let status: Int32
        do {
            status = try await ChildProcess.run(command, environment: environment, stopSignals: stopSignals)
        } catch {
            try await server.stop()
            log.flush()
            Terminal.error("cannot run \(command[0]): \(error)")
            throw CommandFailure(code: ChildProcess.cannotRun)
        }
        let journal = server.journal
        try await server.stop()
        log.flush()

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
        let code = summary.exitStatus(commandStatus: status, allowUnmatched: allowUnmatched)
        if summary.sawNoRequest {
            // Framed, so it stands out in a CI log full of the command's output.
            let rule = String(repeating: "!", count: JournalSummary.noRequest.count + 7)
            Terminal.info(rule)
            Terminal.error(JournalSummary.noRequest)
            Terminal.info(rule)
        }
        if status != 0 {
            Terminal.error("\(command[0]) exited with status \(status)")
        } else if code != Exit.ok, !summary.sawNoRequest {
            Terminal.error("\(summary.unmatched.count + summary.webSocketMismatches.count) unmatched: the command sent what no recording answers (--allow-unmatched accepts that)")
        }
        if code != Exit.ok { throw CommandFailure(code: code) }
    }
}

/// One child process with inherited stdin/stdout/stderr, found on PATH.
///
/// Spawned with posix_spawnp rather than Foundation's Process, because the
/// child must start with every signal at its default action and none
/// blocked: this process ignores SIGPIPE (NIO) and others, and an ignored
/// disposition survives exec, so a test command's `… | head` would no longer
/// end on SIGPIPE.
enum ChildProcess {
    /// The status when the child cannot be started at all (a shell's "command not found").
    static let cannotRun: Int32 = 127

    struct SpawnError: Error, CustomStringConvertible {
        var errno: Int32
        var description: String { String(cString: strerror(errno)) }
    }

    /// Runs `argv` to its end; SIGINT/SIGTERM meanwhile are passed on to it
    /// (as SIGTERM). Its exit status, or 128+N when signal N ended it (as a
    /// shell reports it). Throws when it cannot be started (not found, not executable).
    static func run(_ argv: [String], environment: [String: String], stopSignals: StopSignals) async throws -> Int32 {
        let pid = try spawn(argv, environment: environment)
        let forwarding = stopSignals.onEach { kill(pid, SIGTERM) }
        defer { forwarding.cancel() }
        return await withCheckedContinuation { continuation in
            // waitpid blocks: on a thread of its own, not on the cooperative pool.
            Thread {
                var status: Int32 = 0
                while waitpid(pid, &status, 0) == -1, errno == EINTR {}
                let signal = status & 0x7F
                continuation.resume(returning: signal == 0 ? (status >> 8) & 0xFF : 128 + signal)
            }.start()
        }
    }

    private static func spawn(_ argv: [String], environment: [String: String]) throws -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let cArguments = argv.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in cArguments { free(pointer) }
            for pointer in cEnvironment { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, argv[0], nil, &attributes, cArguments, cEnvironment)
        guard result == 0 else { throw SpawnError(errno: result) }
        return pid
    }
}
