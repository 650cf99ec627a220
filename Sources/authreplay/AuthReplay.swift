import ArgumentParser
import Foundation

/// The root command. Subcommands parse arguments and call the library.
struct AuthReplay: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "authreplay",
        abstract: "Record staging auth traffic once; reproduce it offline.",
        discussion: """
        Exit codes: 0 success, 1 the input or the result was bad (invalid recording, \
        failed replay), 2 usage error.
        """,
        version: version,
        subcommands: [
            Inspect.self, Import.self, CaptureCommand.self, Record.self, Serve.self, ReplayCommand.self, ReportCommand.self,
            ExportCommand.self, Variants.self, Minimize.self, Redact.self, Lint.self, DemoCommand.self,
        ]
    )
}

/// Exit codes every subcommand shares (documented in the README).
enum Exit {
    static let ok: Int32 = 0
    static let failure: Int32 = 1
    static let usage: Int32 = 2
    /// The input ended early (a truncated capture, an interrupted import); what came before was written.
    static let incomplete: Int32 = 3
}

/// A failure already explained to the user; carries the exit code.
struct CommandFailure: Error {
    let code: Int32
}

@main
enum Main {
    static func main() async {
        do {
            var command = try AuthReplay.parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            exit(failure.code)
        } catch {
            let code = AuthReplay.exitCode(for: error)
            if code == .success {
                AuthReplay.exit(withError: error)  // --help, --version
            }
            // Usage errors exit 2 (ArgumentParser's default is 64).
            let message = AuthReplay.fullMessage(for: error)
            if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            exit(code == .validationFailure ? Exit.usage : code.rawValue == 64 ? Exit.usage : Exit.failure)
        }
    }
}
