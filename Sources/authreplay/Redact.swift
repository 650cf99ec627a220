import ArgumentParser
import Foundation
import TrafficModel

struct Redact: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Redact secrets in an existing recording.",
        discussion: """
        Authorization and Cookie values, query tokens, passwords and secrets in JSON and form \
        bodies, and JWT signatures anywhere become stable pseudonyms (`redacted:…`; a JWT keeps \
        its header and claims and gets a `REDACTED…` signature). Equal values stay equal, so \
        issued tokens stay linked to where they are used, and the mock redacts live requests \
        the same way. Rules come from --rules, else ./\(RedactionRules.fileName) when present, \
        else the defaults. Pseudonyms hide values; they are not encryption.

        Example:
          authreplay redact raw.json --output recordings/login.json --redact-claim email
        """
    )

    @Argument(help: "The recording to redact.")
    var input: String

    @Option(name: .shortAndLong, help: "Where to write the redacted recording (written atomically).")
    var output: String

    @Option(help: "A rules file (default: ./\(RedactionRules.fileName) when it exists).")
    var rules: String?

    @Option(name: .customLong("redact-claim"), help: "A JWT claim whose value is pseudonymized too (repeatable).")
    var claims: [String] = []

    func run() throws {
        let recording = try RecordingFiles.load(input)
        let rules = try RedactionRulesFiles.load(rules, key: .create).addingClaims(claims)
        let (redacted, summary) = Redactor(rules: rules).redact(recording)
        try RedactionRulesFiles.writeAtomically(RecordingCodec.encodeBytes(redacted), to: output)
        // The summary adds to an earlier redaction's, so these are totals over every run.
        let total = summary.counts.values.reduce(0, +)
        let rulesText = summary.counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        Terminal.info("\(output): written; \(total) values redacted in all" + (rulesText.isEmpty ? "" : " (\(rulesText))"))
    }
}

/// Rules files and atomic writes for `redact` and `lint`.
enum RedactionRulesFiles {
    /// How a command uses the project's pseudonym key (`PseudonymKeyStore`)
    /// when the rules file sets none.
    enum KeyUse {
        /// Writes recordings: the key is made when there is none.
        case create
        /// Reads them (serve, replay): the key when there is one.
        case ifPresent
    }

    /// The rules from `path` (or ./authreplay.redact.json), keyed with the
    /// rules file's `pseudonymKey` or else the project's key.
    static func load(_ path: String?, key use: KeyUse) throws -> RedactionRules {
        var rules = try load(path)
        guard rules.pseudonymizer.key == Pseudonymizer.defaultKey else { return rules }
        if let key = try PseudonymKeyStore.key(create: use == .create) { rules.pseudonymizer = Pseudonymizer(key: key.bytes) }
        return rules
    }

    static func load(_ path: String?) throws -> RedactionRules {
        let chosen = path ?? (FileManager.default.fileExists(atPath: RedactionRules.fileName) ? RedactionRules.fileName : nil)
        guard let chosen else { return .default }
        guard let data = FileManager.default.contents(atPath: chosen) else {
            Terminal.error("\(chosen): cannot read the rules file (does it exist?)")
            throw CommandFailure(code: Exit.failure)
        }
        do {
            return try RedactionRules.parse(Array(data))
        } catch {
            Terminal.error("\(chosen): \(error)")
            throw CommandFailure(code: Exit.failure)
        }
    }

    /// Writes a temporary file next to `path`, then renames it over `path`.
    static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        do {
            try Data(bytes).write(to: temporary)
            guard rename(temporary.path, url.path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            Terminal.error("\(path): cannot write the file: \(error)")
            throw CommandFailure(code: Exit.failure)
        }
    }
}
