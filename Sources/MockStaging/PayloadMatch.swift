import TrafficModel

/// Payloads in the mock: request bodies while matching, client WebSocket
/// messages while running a script, compared by TrafficModel's
/// `PayloadComparator` (the comparison Replay uses too): JSON as JSON,
/// volatile values such as timestamps, UUIDs and JWTs by shape unless
/// exact, everything else byte for byte.
enum PayloadMatch {
    /// Readable differences between a recorded and a live payload, each
    /// after `subject: ` and naming its JSON path; empty when they match.
    static func differences(expected: Body?, actual: Body?, exact: Bool, subject: String = "body") -> [String] {
        PayloadComparator.differences(expected: expected, actual: actual, options: ComparisonOptions(exact: exact)).map { "\(subject): \($0)" }
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
}

extension PayloadMatch {
    /// Server messages that only differ in per-connection values (the
    /// usual volatile members, Engine.IO's `sid` among them) are the same
    /// step of a conversation.
    static let agreement = ComparisonOptions.default

    /// Differences between a recorded and a live WebSocket message payload
    /// (a packet prefix before a JSON document compared as
    /// `PayloadComparator.differences` does).
    static func messageDifferences(expected: Body?, actual: Body?, exact: Bool, options: ComparisonOptions = .default) -> [String] {
        var comparison = options
        comparison.exact = exact
        return PayloadComparator.differences(expected: expected, actual: actual, options: comparison).map { "message: \($0)" }
    }
}
