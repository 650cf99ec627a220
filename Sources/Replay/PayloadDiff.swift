import TrafficModel

/// The one place Replay compares payloads (bodies, WebSocket messages).
/// Byte for byte until TrafficModel's shared PayloadComparator lands.
enum PayloadDiff {
    static func differences(expected: Body?, actual: Body?, options: ReplayComparison) -> [String] {
        let e = expected?.bytes ?? []
        let a = actual?.bytes ?? []
        guard e != a else { return [] }
        return ["expected \(preview(expected)), got \(preview(actual))"]
    }

    static func preview(_ body: Body?) -> String {
        guard let body, body.count > 0 else { return "nothing" }
        switch body {
        case .text(let t):
            let cut = t.count > 120 ? String(t.prefix(120)) + "…" : t
            return "\"" + cut.replacing("\"", with: "\\\"") + "\""
        case .binary(let b):
            return "\(b.count) bytes"
        }
    }
}
