import ArgumentParser
import Export
import TrafficModel

struct ExportHAR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "har",
        abstract: "Write a recording as HAR 1.2, the way Chrome's DevTools saves one.",
        discussion: """
        One entry per HTTP exchange (entries of one session share a `connection` id); a \
        WebSocket upgrade carries its messages in Chrome's `_webSocketMessages` (type \
        send/receive, time, opcode, data; binary data base64; close frames as opcode 8 with \
        the reason as data and the code as `code`). Values are exported as the recording holds \
        them: a redacted recording exports redacted. `authreplay import` reads the file back \
        to the same sessions, exchanges and messages (see docs/har-export.md for what HAR \
        cannot hold). Written atomically.

        Example:
          authreplay export har recordings/user-context-regression.json --output regression.har
        """
    )

    @Argument(help: "The recording to export (authreplay/1 JSON).")
    var recording: String

    @Option(name: .shortAndLong, help: "Where to write the HAR file.")
    var output: String

    func run() throws {
        let loaded = try RecordingFiles.load(recording)
        if loaded.redaction?.enabled == false {
            Terminal.info("warning: \(recording) was written without redaction; the HAR holds its secrets as recorded")
        }
        let export = HARExporter(creatorVersion: AuthReplay.version).export(loaded)
        try RedactionRulesFiles.writeAtomically(export.bytes, to: output)
        let s = export.statistics
        var notes: [String] = []
        if s.sessionsWithoutRequest > 0 { notes.append("\(s.sessionsWithoutRequest) sessions without an HTTP request left out") }
        if s.binaryRequestBodies > 0 { notes.append("\(s.binaryRequestBodies) binary request bodies written base64") }
        Terminal.info("\(output): \(s.entries) entries, \(s.messages) WebSocket messages" + (notes.isEmpty ? "" : "; " + notes.joined(separator: ", ")))
    }
}
