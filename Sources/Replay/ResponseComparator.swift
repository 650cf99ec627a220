public import TrafficModel

/// Compares what the target answered with what the recording says it
/// answered. Pure; every difference is one readable line.
///
/// HTTP: the status must be equal; of the headers only a meaningful set is
/// compared (`meaningfulHeaders`), normalized; bodies as payloads. WebSocket:
/// every server message (opcode, payload) in order, then the close (code and
/// who closed first). Payloads go through TrafficModel's PayloadComparator:
/// semantic members (`type`, `error_code`, …) and JSON structure must be
/// equal, volatile values (timestamps, UUIDs, JWTs, ids) only the same shape;
/// `ComparisonOptions.exact` compares bytes, `ignoredPaths` skips paths.
public struct ResponseComparator: Sendable {
    /// Header fields compared, each by a normalized form: Content-Type by
    /// media type, WWW-Authenticate by scheme, Upgrade case-insensitively,
    /// Sec-WebSocket-Protocol exactly, Sec-WebSocket-Extensions by the
    /// extensions accepted (their parameters follow from the offer). Dates,
    /// lengths, servers, cookies' values and accept keys are noise.
    public static let meaningfulHeaders = ["Content-Type", "WWW-Authenticate", "Sec-WebSocket-Protocol", "Upgrade", "Sec-WebSocket-Extensions"]

    public var options: ComparisonOptions

    public init(options: ComparisonOptions = .default) {
        self.options = options
    }

    public func compare(expected: HTTPResponse?, actual: HTTPResponse) -> [String] {
        guard let expected else { return [] }  // nothing recorded to compare with
        var out: [String] = []
        if expected.status != actual.status {
            out.append("status expected \(expected.status) \(expected.reason), got \(actual.status) \(actual.reason)")
        }
        for name in Self.meaningfulHeaders {
            let e = Self.value(name, in: expected.headers).map { Self.normalize(name, $0) }
            let a = Self.value(name, in: actual.headers).map { Self.normalize(name, $0) }
            switch (e, a) {
            case (nil, nil): break
            case (let e?, nil): out.append("header \(name) expected \"\(e)\", got none")
            case (nil, let a?): out.append("header \(name) new \"\(a)\"")
            case (let e?, let a?): if e != a { out.append("header \(name) expected \"\(e)\", got \"\(a)\"") }
            }
        }
        // A 101 has no body; the body of anything else is compared.
        if let stream = expected.stream, stream.chunks.isEmpty {
            out += compare(expected: stream, actual: actual.stream ?? ResponseStream(headAt: 0))
        } else if expected.status != 101 || actual.status != 101 {
            out += PayloadComparator.differences(expected: expected.body, actual: actual.body, options: options).map { "body: \($0)" }
        }
        return out
    }

    /// The first field's value; a list header's fields joined (RFC 9110 §5.3).
    static func value(_ name: String, in headers: [HeaderField]) -> String? {
        guard name.lowercased() == "sec-websocket-extensions" else { return headers.first(name) }
        let all = headers.all(name)
        return all.isEmpty ? nil : all.joined(separator: ", ")
    }

    static func normalize(_ name: String, _ value: String) -> String {
        switch name.lowercased() {
        case "sec-websocket-extensions":
            // The names only: "permessage-deflate; client_max_window_bits=10" → "permessage-deflate".
            return value.split(separator: ",").map { String($0.split(separator: ";").first ?? "").trimmed().lowercased() }
                .joined(separator: ", ")
        case "content-type":
            return String(value.split(separator: ";", maxSplits: 1).first ?? "").trimmed().lowercased()
        case "www-authenticate":
            return String(value.trimmed().split(separator: " ", maxSplits: 1).first ?? "").lowercased()
        case "upgrade":
            return value.trimmed().lowercased()
        default:
            return value.trimmed()
        }
    }

    /// Server data messages, in order, against the recording's. Close
    /// frames are judged by `compare(expected:actual:)` on `CloseOutcome`.
    public func compare(expected: [WebSocketMessage], actual: [WebSocketMessage]) -> [String] {
        let expected = expected.filter { $0.opcode != .close }
        let actual = actual.filter { $0.opcode != .close }
        return inOrder(expected, actual, label: { "server message \($0)" }, describe: Self.describe) { e, a in
            if e.opcode != a.opcode { return "expected \(Self.describe(e)), got \(Self.describe(a))" }
            let diffs = PayloadComparator.differences(expected: e.payload, actual: a.payload, options: options)
            return diffs.isEmpty ? nil : diffs.joined(separator: "; ")
        }
    }

    /// Two sequences compared item by item, a line per difference
    /// (`LABEL: unexpected …`, `LABEL: expected …, got nothing`, `LABEL: what differs`).
    func inOrder<T>(_ expected: [T], _ actual: [T], label: (Int) -> String, describe: (T) -> String, compare: (T, T) -> String?) -> [String] {
        var out: [String] = []
        for i in 0..<max(expected.count, actual.count) {
            let label = label(i + 1)
            guard i < expected.count else {
                out.append("\(label): unexpected \(describe(actual[i]))")
                continue
            }
            guard i < actual.count else {
                out.append("\(label): expected \(describe(expected[i])), got nothing")
                continue
            }
            if let difference = compare(expected[i], actual[i]) { out.append("\(label): \(difference)") }
        }
        return out
    }

    public func compare(expected: CloseOutcome?, actual: CloseOutcome) -> [String] {
        guard let expected, expected != actual else { return [] }
        // A dropped connection matches a recorded drop by the same side, whatever the code.
        if !expected.frame, !actual.frame, expected.by == actual.by { return [] }
        return ["close: expected \(expected.description), got \(actual.description)"]
    }

    static func describe(_ message: WebSocketMessage) -> String {
        switch message.opcode {
        case .close:
            return "close \(message.closeCode.map(String.init) ?? "(no code)")"
        case .text, .binary, .continuation, .ping, .pong:
            return "\(message.opcode.rawValue) \(PayloadComparator.describe(message.payload, limit: 120))"
        }
    }
}

extension String {
    func trimmed() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
