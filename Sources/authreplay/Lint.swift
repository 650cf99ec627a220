import ArgumentParser
import TrafficModel

struct Lint: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check recordings for secrets that survived redaction.",
        discussion: """
        Reports JWTs with real signatures, Authorization credentials, passwords in bodies, \
        random-looking values where credentials go (cookies, token headers, query and body \
        members), private keys and AWS, GitHub, Slack and Google key formats, each with its \
        location; never the value.

        Exit codes: 0 every file is clean, 1 a secret was found or a file could not be read.

        Example:
          authreplay lint recordings/*.json
        """
    )

    @Argument(help: "Recording files (authreplay/1 JSON).")
    var recordings: [String]

    @Option(help: "A rules file naming more credential positions (default: ./\(RedactionRules.fileName) when it exists).")
    var rules: String?

    func run() throws {
        let linter = SecretLinter(rules: try RedactionRulesFiles.load(rules))
        var failed = false
        var found = 0
        for path in recordings {
            guard let recording = try? RecordingFiles.load(path) else {
                failed = true
                continue
            }
            let findings = linter.lint(recording)
            found += findings.count
            for finding in findings { print("\(path): \(finding)") }
            if recording.redaction?.enabled == false {
                Terminal.info("\(path): recorded with --no-redact")
            }
        }
        if found > 0 {
            Terminal.error("\(found) secret\(found == 1 ? "" : "s") found; run `authreplay redact FILE --output FILE`")
            throw CommandFailure(code: Exit.failure)
        }
        if failed { throw CommandFailure(code: Exit.failure) }
        print("\(recordings.count) file\(recordings.count == 1 ? "" : "s") clean")
    }
}
