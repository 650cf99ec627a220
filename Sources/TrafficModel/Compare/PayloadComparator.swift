/// How payloads are compared. The default is noise-aware: semantic fields
/// must be equal, volatile ones only need the same shape.
public struct ComparisonOptions: Hashable, Sendable {
    /// Byte-for-byte: no JSON awareness, no volatility.
    public var exact: Bool
    /// JSON paths left out of the comparison: `$.timestamp`, `$.items[*].id`, `$.details.*`.
    public var ignoredPaths: [String]
    /// Members compared for equality even when their value looks volatile.
    public var semanticKeys: Set<String>
    /// Members whose values are volatile by name (compared by shape).
    public var volatileKeys: Set<String>

    public static let defaultSemanticKeys: Set<String> = [
        "type", "error_code", "errorcode", "code", "status", "event", "error", "op", "action", "kind", "role", "state", "reason",
    ]
    public static let defaultVolatileKeys: Set<String> = [
        "id", "uuid", "guid", "nonce", "timestamp", "ts", "time", "date", "at", "created", "updated", "expires", "expiry",
        "exp", "iat", "nbf", "jti", "token", "access_token", "refresh_token", "id_token", "expires_at", "issued_at",
        // A session id a server hands out (Engine.IO's open packet, Socket.IO's CONNECT answer).
        "sid",
    ]

    public init(exact: Bool = false, ignoredPaths: [String] = [], semanticKeys: Set<String> = defaultSemanticKeys, volatileKeys: Set<String> = defaultVolatileKeys) {
        self.exact = exact
        self.ignoredPaths = ignoredPaths
        self.semanticKeys = semanticKeys
        self.volatileKeys = volatileKeys
    }

    public static let `default` = ComparisonOptions()

    /// A member is volatile by name when it is listed, or ends in `_id`,
    /// `_at`, `Id`, `At`, `_time` or `_token`.
    func isVolatile(key: String) -> Bool {
        let lower = key.lowercased()
        if semanticKeys.contains(lower) { return false }
        if volatileKeys.contains(lower) { return true }
        for suffix in ["_id", "_at", "_time", "_token", "_ts"] where lower.hasSuffix(suffix) { return true }
        if key.count > 2, key.hasSuffix("Id") || key.hasSuffix("At") { return true }
        return false
    }
}

/// One difference between an expected (recorded) and an actual payload.
public struct Difference: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        case changed(expected: JSONValue, actual: JSONValue)
        case missing(expected: JSONValue)
        case added(actual: JSONValue)
        case shape(expected: ValueShape, actual: ValueShape)
        /// Non-JSON payloads that differ: previews of both.
        case bytes(expected: String, actual: String)
    }

    public var path: String
    public var kind: Kind

    public init(path: String, kind: Kind) {
        self.path = path
        self.kind = kind
    }

    public var description: String {
        switch kind {
        case .changed(let e, let a): return "\(path) expected \(Self.preview(e)), got \(Self.preview(a))"
        case .missing(let e): return "\(path) missing (expected \(Self.preview(e)))"
        case .added(let a): return "\(path) new \(Self.preview(a))"
        case .shape(let e, let a): return "\(path) expected \(e.rawValue), got \(a.rawValue)"
        case .bytes(let e, let a): return "\(path) expected \(e), got \(a)"
        }
    }

    static func preview(_ value: JSONValue) -> String {
        let text = JSONWriter.compact(value)
        return text.count > 80 ? String(text.prefix(80)) + "…" : text
    }
}

/// Compares recorded and live payloads. Pure.
public enum PayloadComparator {
    public static func compare(expected: JSONValue, actual: JSONValue, options: ComparisonOptions = .default) -> [Difference] {
        var differences: [Difference] = []
        let ignored = options.ignoredPaths.map(PathPattern.init)
        walk(expected, actual, path: JSONPath.root, key: nil, options: options, ignored: ignored, into: &differences)
        return differences
    }

    /// Text that parses as JSON on both sides is compared as JSON, and text
    /// that is `application/x-www-form-urlencoded` on both sides (an OAuth
    /// token request, RFC 6749 §4) as its decoded name-value pairs in order,
    /// so a JWT in it is compared by shape as in JSON; other text and binary
    /// payloads must be equal byte for byte.
    public static func compare(expected: Body, actual: Body, options: ComparisonOptions = .default) -> [Difference] {
        if expected == actual { return [] }
        // The same bytes, one side held as text (valid UTF-8) and the other
        // as binary: equal. Whether a message is text is its opcode's business.
        switch (expected, actual) {
        case (.text, .binary), (.binary, .text):
            if expected.bytes == actual.bytes { return [] }
        case (.text, .text), (.binary, .binary):
            break
        }
        if !options.exact, let e = expected.text, let a = actual.text,
           let ej = try? JSONParser.parse(e), let aj = try? JSONParser.parse(a) {
            return compare(expected: ej, actual: aj, options: options)
        }
        if !options.exact, let e = expected.text, let a = actual.text, let ef = CredentialLocator.formPairs(e), let af = CredentialLocator.formPairs(a) {
            return compare(expected: .object(ef.map { ($0.0, .string($0.1)) }), actual: .object(af.map { ($0.0, .string($0.1)) }), options: options)
        }
        return [Difference(path: "$", kind: .bytes(expected: preview(expected), actual: preview(actual)))]
    }

    static func preview(_ body: Body) -> String {
        switch body {
        case .text(let s):
            var out = ""
            JSONWriter.writeString(s.count > 80 ? String(s.prefix(80)) + "…" : s, into: &out)
            return out
        case .binary(let b): return "\(b.count) bytes"
        }
    }

    private static func walk(
        _ e: JSONValue, _ a: JSONValue, path: JSONPath, key: String?,
        options: ComparisonOptions, ignored: [PathPattern], into out: inout [Difference]
    ) {
        if ignored.contains(where: { $0.matches(path) }) { return }
        if options.exact {
            exactWalk(e, a, path: path, ignored: ignored, into: &out)
            return
        }
        switch (e, a) {
        case (.object(let em), .object(let am)):
            for (k, ev) in em {
                let child = path.appending(key: k)
                if let av = am.first(where: { $0.0 == k })?.1 {
                    walk(ev, av, path: child, key: k, options: options, ignored: ignored, into: &out)
                } else if !ignored.contains(where: { $0.matches(child) }) {
                    out.append(Difference(path: child.text, kind: .missing(expected: ev)))
                }
            }
            for (k, av) in am where !em.contains(where: { $0.0 == k }) {
                let child = path.appending(key: k)
                if !ignored.contains(where: { $0.matches(child) }) {
                    out.append(Difference(path: child.text, kind: .added(actual: av)))
                }
            }
        case (.array(let ea), .array(let aa)):
            for i in 0..<max(ea.count, aa.count) {
                let child = path.appending(index: i)
                if i < ea.count && i < aa.count {
                    walk(ea[i], aa[i], path: child, key: key, options: options, ignored: ignored, into: &out)
                } else if i < ea.count {
                    out.append(Difference(path: child.text, kind: .missing(expected: ea[i])))
                } else {
                    out.append(Difference(path: child.text, kind: .added(actual: aa[i])))
                }
            }
        default:
            guard e != a else { return }
            let es = ValueShape(of: e)
            let shapeOnly = key.map(options.isVolatile(key:)) ?? false
                || (es.isVolatileByItself && !(key.map { options.semanticKeys.contains($0.lowercased()) } ?? false))
            if shapeOnly {
                let as_ = ValueShape(of: a)
                if !sameShape(es, as_) { out.append(Difference(path: path.text, kind: .shape(expected: es, actual: as_))) }
            } else {
                out.append(Difference(path: path.text, kind: .changed(expected: e, actual: a)))
            }
        }
    }

    /// Integers and floats of the same magnitude class count as one shape
    /// (a server may print `1764050400` or `1764050400.25`).
    private static func sameShape(_ a: ValueShape, _ b: ValueShape) -> Bool {
        if a == b { return true }
        let numeric: Set<ValueShape> = [.integer, .number]
        return numeric.contains(a) && numeric.contains(b)
    }

    private static func exactWalk(_ e: JSONValue, _ a: JSONValue, path: JSONPath, ignored: [PathPattern], into out: inout [Difference]) {
        if e != a { out.append(Difference(path: path.text, kind: .changed(expected: e, actual: a))) }
    }
}

extension PayloadComparator {
    /// The one comparison of optional payloads every side reports with (the
    /// mock's matcher and near-miss notes, Replay's diffs): an empty payload
    /// counts as none; each line names its JSON path. Callers put what was
    /// compared in front (`body: `, `message: `, `server message 2: `).
    public static func differences(expected: Body?, actual: Body?, options: ComparisonOptions = .default) -> [String] {
        // A packet prefix before a JSON document (Socket.IO `42["event",…]`,
        // Engine.IO `0{"sid":…}`) is compared exactly, the document JSON-aware.
        if !options.exact, let expected, let actual,
           let (expectedPrefix, expectedJSON) = CredentialLocator.messageDocument(expected),
           let (actualPrefix, actualJSON) = CredentialLocator.messageDocument(actual),
           !(expectedPrefix.isEmpty && actualPrefix.isEmpty) {
            guard expectedPrefix == actualPrefix else {
                // Another packet type altogether (an error instead of an event): show both.
                return [#"packet prefix expected "\#(expectedPrefix)", got "\#(actualPrefix)": expected \#(describe(expected, limit: 160)), got \#(describe(actual, limit: 160))"#]
            }
            return compare(expected: expectedJSON, actual: actualJSON, options: options).map(\.description)
        }
        let e = expected.flatMap { $0.count == 0 ? nil : $0 }
        let a = actual.flatMap { $0.count == 0 ? nil : $0 }
        switch (e, a) {
        case (nil, nil):
            return []
        case (nil, let a?):
            return ["expected none, got \(describe(a))"]
        case (let e?, nil):
            return ["expected \(describe(e)), got none"]
        case (let e?, let a?):
            return compare(expected: e, actual: a, options: options).map(\.description)
        }
    }

    /// A short, readable rendering of a payload: quoted text cut at `limit`
    /// characters, or the size of a binary one.
    public static func describe(_ body: Body?, limit: Int = 80) -> String {
        guard let body, body.count > 0 else { return "none" }
        switch body {
        case .text(let text):
            var out = ""
            JSONWriter.writeString(text.count > limit ? String(text.prefix(limit)) + "…" : text, into: &out)
            return out
        case .binary(let bytes):
            return "\(bytes.count) bytes of binary"
        }
    }
}
