import ArgumentParser
import Foundation
import Report
import TrafficModel

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write recordings (and a replay's result) as one self-contained HTML page.",
        discussion: """
        The page has a session list with status badges, and per session a timeline on a time \
        axis with client and server lanes (requests, responses, WebSocket messages, closes, \
        anomalies), the auth findings (JWT header and claims, class, expiry relative to use), \
        error frames and anomalies highlighted. With --replay RESULT.json (what \
        `authreplay replay --json` prints), each difference is shown next to the message it \
        concerns, expected against got. Inline CSS and a little JS, nothing fetched: it opens \
        offline, as a CI artefact or a bug-report attachment. Values are shown as recorded, so a \
        redacted recording's secrets stay redacted. Written atomically.

        Example:
          authreplay report recordings/user-context-regression.json --output report.html
          authreplay replay rec.json --target http://127.0.0.1:8000 --json > result.json
          authreplay report rec.json --replay result.json --output report.html
        """
    )

    @Argument(help: "Recording files (authreplay/1 JSON).")
    var recordings: [String]

    @Option(help: ArgumentHelp("A replay result, as `authreplay replay --json` prints it.", valueName: "result.json"))
    var replay: String?

    @Option(name: .shortAndLong, help: "Where to write the HTML page (written atomically).")
    var output: String

    @Option(help: "The page's title.")
    var title = "authreplay report"

    func run() throws {
        var named: [(name: String, recording: Recording)] = []
        for path in recordings { named.append((path, try RecordingFiles.load(path))) }
        var outcome: ReplayOutcome?
        if let replay {
            guard let data = FileManager.default.contents(atPath: replay) else {
                Terminal.error("\(replay): cannot read the file (does it exist?)")
                throw CommandFailure(code: Exit.failure)
            }
            do {
                outcome = try ReplayOutcome(json: try JSONParser.parse(Array(data)), file: replay)
            } catch let error as ReportError {
                Terminal.error("\(error)")
                throw CommandFailure(code: Exit.failure)
            } catch {
                Terminal.error("\(replay): not a replay result (`authreplay replay --json`): \(error)")
                throw CommandFailure(code: Exit.failure)
            }
        }
        try Self.write(HTMLReport.render(recordings: named, replay: outcome, title: title), to: output)
        Terminal.info("wrote \(output)")
    }

    /// Writes the page atomically (a temporary file renamed over the target).
    static func write(_ html: String, to path: String) throws {
        do {
            try html.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            Terminal.error("\(path): cannot write the report: \(error.localizedDescription)")
            throw CommandFailure(code: Exit.failure)
        }
    }
}
