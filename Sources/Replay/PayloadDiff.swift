import TrafficModel

/// The one place Replay compares payloads (bodies, WebSocket messages):
/// TrafficModel's shared PayloadComparator, plus absent-vs-present.
enum PayloadDiff {
    static func differences(expected: Body?, actual: Body?, options: ComparisonOptions) -> [String] {
        let e = expected.flatMap { $0.count > 0 ? $0 : nil }
        let a = actual.flatMap { $0.count > 0 ? $0 : nil }
        switch (e, a) {
        case (nil, nil): return []
        case (let e?, nil): return ["expected \(preview(e)), got nothing"]
        case (nil, let a?): return ["expected nothing, got \(preview(a))"]
        case (let e?, let a?): return PayloadComparator.compare(expected: e, actual: a, options: options).map(\.description)
        }
    }

    static func preview(_ body: Body?) -> String {
        guard let body, body.count > 0 else { return "nothing" }
        switch body {
        case .text(let t):
            return JSONWriter.compact(.string(t.count > 120 ? String(t.prefix(120)) + "…" : t))
        case .binary(let b):
            return "\(b.count) bytes"
        }
    }
}
