import TrafficModel

/// The one place payloads are compared: request bodies while matching,
/// client WebSocket messages while running a script.
///
/// Interim: JSON is compared as JSON (member order ignored), everything else
/// byte for byte. To be replaced by TrafficModel's `PayloadComparator`
/// (volatile values by shape, a JSON path per difference) once it lands.
enum PayloadMatch {
    /// Readable differences between a recorded and a live payload; empty when they match.
    static func differences(expected: Body?, actual: Body?, exact: Bool, subject: String = "body") -> [String] {
        let e = expected?.bytes ?? []
        let a = actual?.bytes ?? []
        if e == a { return [] }
        if !exact, let ej = try? JSONParser.parse(e), let aj = try? JSONParser.parse(a), canonical(ej) == canonical(aj) {
            return []
        }
        if e.isEmpty { return ["\(subject): expected none, got \(preview(actual))"] }
        if a.isEmpty { return ["\(subject): expected \(preview(expected)), got none"] }
        return ["\(subject): expected \(preview(expected)), got \(preview(actual))"]
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
