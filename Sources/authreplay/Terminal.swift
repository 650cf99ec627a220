import Foundation
import TrafficModel

/// Output helpers: colour only when the stream is a terminal and NO_COLOR is unset.
enum Terminal {
    static let stdoutIsTTY = isatty(STDOUT_FILENO) == 1
    static let stderrIsTTY = isatty(STDERR_FILENO) == 1
    static var colours: Bool { stdoutIsTTY && ProcessInfo.processInfo.environment["NO_COLOR"] == nil }

    static func style(_ text: String, _ style: Timeline.Line.Style) -> String {
        guard colours else { return text }
        switch style {
        case .heading: return "\u{1B}[1m\(text)\u{1B}[0m"
        case .error: return "\u{1B}[31m\(text)\u{1B}[0m"
        case .dim: return "\u{1B}[2m\(text)\u{1B}[0m"
        case .normal: return text
        }
    }

    static func error(_ message: String) {
        let prefix = stderrIsTTY ? "\u{1B}[31merror:\u{1B}[0m " : "error: "
        FileHandle.standardError.write(Data((prefix + message + "\n").utf8))
    }

    static func info(_ message: String) {
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
