import TrafficModel

/// The one place payloads are compared: request bodies while matching,
/// client WebSocket messages while running a script. JSON is compared as
/// JSON by TrafficModel's `PayloadComparator` (volatile values such as
/// timestamps, UUIDs and JWTs by shape, unless exact), everything else byte
/// for byte.
enum PayloadMatch {
    /// Readable differences between a recorded and a live payload, each naming
    /// its JSON path; empty when they match.
    static func differences(expected: Body?, actual: Body?, exact: Bool, subject: String = "body") -> [String] {
        let e = expected.flatMap { $0.count == 0 ? nil : $0 }
        let a = actual.flatMap { $0.count == 0 ? nil : $0 }
        switch (e, a) {
        case (nil, nil):
            return []
        case (nil, let a?):
            return ["\(subject): expected none, got \(preview(a))"]
        case (let e?, nil):
            return ["\(subject): expected \(preview(e)), got none"]
        case (let e?, let a?):
            return PayloadComparator.compare(expected: e, actual: a, options: ComparisonOptions(exact: exact))
                .map { "\(subject) \($0.description)" }
        }
    }

    /// A key for bodies that are equal under `differences(…).isEmpty`.
    static func key(_ body: Body?) -> String {
        let bytes = body?.bytes ?? []
        if bytes.isEmpty { return "" }
        if let json = try? JSONParser.parse(bytes) { return "json:" + JSONWriter.compact(canonical(json)) }
        return "bytes:" + Base64.encode(bytes)
    }

    /// Objects with members sorted by name, recursively.
    static func canonical(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let members):
            return .object(members.map { ($0.0, canonical($0.1)) }.sorted { $0.0 < $1.0 })
        case .array(let elements):
            return .array(elements.map(canonical))
        case .null, .bool, .number, .string:
            return value
        }
    }

    static func preview(_ body: Body?, limit: Int = 80) -> String {
        guard let body, body.count > 0 else { return "none" }
        switch body {
        case .text(let text):
            let quoted = text.count > limit ? String(text.prefix(limit)) + "…" : text
            return "\"" + quoted + "\""
        case .binary(let bytes):
            return "\(bytes.count) bytes of binary"
        }
    }
}
