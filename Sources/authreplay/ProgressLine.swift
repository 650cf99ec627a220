import Foundation

/// One self-overwriting status line on stderr, at most once a second, and
/// only on a terminal.
final class ProgressLine {
    private var last = Date.distantPast
    private var shown = false
    private let enabled = Terminal.stderrIsTTY

    func update(_ text: String) {
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(last) >= 1 else { return }
        last = now
        shown = true
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + text).utf8))
    }

    func finish() {
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }
}
