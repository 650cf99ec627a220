import ArgumentParser
import TrafficModel
import Wire

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a recording as a readable timeline, or as a JSON summary.",
        discussion: """
        Errors (HTTP 4xx/5xx, WebSocket error frames, close codes other than 1000/1001) \
        are highlighted on a terminal.

        Example:
          authreplay inspect recordings/auth-required.json
          authreplay inspect recordings/auth-required.json --json | jq .totals
        """
    )

    @Argument(help: "Recording files (authreplay/1 JSON).")
    var recordings: [String]

    @Flag(help: "Print a stable machine-readable summary instead of the timeline.")
    var json = false

    func run() throws {
        var failed = false
        var summaries: [JSONValue] = []
        for path in recordings {
            let recording: Recording
            do {
                recording = try RecordingFiles.load(path)
            } catch {
                failed = true
                continue
            }
            if json {
                summaries.append(RecordingSummary.json(recording))
                continue
            }
            print(Terminal.style("\(path)  \(recording.source.kind.rawValue) \(recording.source.name), captured \(recording.capturedAt.iso8601)", .heading))
            print()
            for line in Timeline.render(recording, decoders: .engineIO) { print(Terminal.style(line.text, line.style)) }
        }
        if json {
            print(JSONWriter.pretty(summaries.count == 1 ? summaries[0] : .array(summaries)), terminator: "")
        }
        if failed { throw CommandFailure(code: Exit.failure) }
    }
}
