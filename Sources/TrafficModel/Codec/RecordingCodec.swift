/// Reads and writes recordings as `authreplay/N` JSON documents.
///
/// Encoding is deterministic: the same `Recording` always gives the same
/// bytes (fixed member order, six-decimal time offsets, number literals kept).
/// Decoding validates every field and names the path of the first problem.
public enum RecordingCodec {
    /// Major versions this build reads; older ones are migrated step by step.
    public static let supportedVersions = [1]

    public static func encode(_ recording: Recording) -> String {
        JSONWriter.pretty(recording.json)
    }

    public static func encodeBytes(_ recording: Recording) -> [UInt8] {
        Array(encode(recording).utf8)
    }

    public static func decode(_ bytes: some Collection<UInt8>) throws(RecordingError) -> Recording {
        // A syntax error is already a RecordingError(.invalidJSON) at its line and column.
        let document = try JSONParser.parse(bytes)
        return try decode(document)
    }

    public static func decode(_ document: JSONValue) throws(RecordingError) -> Recording {
        let root = JSONReader(document)
        guard case .object = document else { throw root.wrongType("an object") }
        let format = try root.require("format")
        let identifier = try format.string
        let parts = identifier.split(separator: "/")
        guard parts.count == 2, parts[0] == Recording.formatName, let version = Int(parts[1]) else {
            throw RecordingError(.unsupportedVersion, at: format.path, "\"\(identifier)\" is not an authreplay recording (expected \"\(Recording.formatIdentifier)\")")
        }
        guard supportedVersions.contains(version) else {
            let list = supportedVersions.map { "\(Recording.formatName)/\($0)" }.joined(separator: ", ")
            throw RecordingError(.unsupportedVersion, at: format.path, "version \(version) is not supported by this authreplay (it reads \(list)); upgrade authreplay")
        }
        let migrated = try RecordingMigrations.migrate(document, from: version)
        return try Recording(reader: JSONReader(migrated))
    }
}

extension RedactionSummary {
    var json: JSONValue {
        let counts = counts.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.int($0.value)) }
        var members: [(String, JSONValue)] = [("enabled", .bool(enabled))]
        if let pseudonymKeyID { members.append(("pseudonymKeyId", .string(pseudonymKeyID))) }
        return .object(members + [("counts", .object(counts))])
    }
}

/// Writes a recording piece by piece, byte-identical to `RecordingCodec.encode`,
/// so a capture can stream sessions to disk as their connections end.
public struct RecordingStreamEncoder: Sendable {
    public let source: Source
    public let capturedAt: Timestamp
    public private(set) var sessionCount = 0

    public init(source: Source, capturedAt: Timestamp) {
        self.source = source
        self.capturedAt = capturedAt
    }

    /// Everything up to the first session.
    public var prefix: String {
        var text = JSONWriter.pretty(Recording(source: source, capturedAt: capturedAt, sessions: []).json)
        // Cut at the empty sessions array: `"sessions": []\n}\n`.
        text.removeLast("[]\n}\n".count)
        return text + "["
    }

    public mutating func session(_ session: Session) -> String {
        var bytes: [UInt8] = []
        append(session, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `session(_:)`'s bytes appended to `buffer`, without building a String,
    /// nor a `JSONValue` tree for its WebSocket messages (`JSONStreamObject`).
    public mutating func append(_ session: Session, to buffer: inout [UInt8]) {
        appendSeparator(to: &buffer)
        Self.appendObject(session, to: &buffer)
    }

    /// One session's object alone, without the separator before it: encoders
    /// on other threads (import `--jobs`) make these, `append(encoded:to:)`
    /// puts them in order. The bytes are those `append` writes.
    /// `capacity`: the bytes to reserve, an estimate (growing a buffer of
    /// megabytes by doubling copies it again and again).
    public static func encoded(_ session: Session, capacity: Int = 0) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(capacity)
        appendObject(session, to: &bytes)
        return bytes
    }

    /// Appends a session made by `encoded(_:)`, as `append` would have.
    public mutating func append(encoded: [UInt8], to buffer: inout [UInt8]) {
        appendSeparator(to: &buffer)
        buffer += encoded
    }

    /// What goes before the next session (a writer that writes an encoded
    /// session straight from its own storage puts this first).
    public mutating func appendSeparator(to buffer: inout [UInt8]) {
        sessionCount += 1
        buffer += (sessionCount == 1 ? "\n    " : ",\n    ").utf8
    }

    private static func appendObject(_ session: Session, to buffer: inout [UInt8]) {
        var out = JSONWriter.Output()
        swap(&out.bytes, &buffer)  // keeps the buffer uniquely referenced while it grows
        var object = JSONStreamObject(taking: &out, level: 2)
        session.addMembers(to: &object)
        object.finish(into: &out)
        swap(&out.bytes, &buffer)
    }

    public func suffix(redaction: RedactionSummary?) -> String {
        var text = sessionCount == 0 ? "]" : "\n  ]"
        if let redaction {
            text += ",\n  \"redaction\": " + JSONWriter.prettyFragment(redaction.json, level: 1)
        }
        return text + "\n}\n"
    }
}

/// Step-by-step upgrades of older documents to the current version: each
/// step takes version N to N+1 on the JSON, so the decoder only knows the
/// current shape. v1 is the first version, so there are no steps yet.
enum RecordingMigrations {
    static let steps: [Int: @Sendable (JSONValue) throws(RecordingError) -> JSONValue] = [:]

    static func migrate(_ document: JSONValue, from version: Int) throws(RecordingError) -> JSONValue {
        var document = document
        var version = version
        while version < Recording.currentVersion {
            guard let step = steps[version] else {
                throw RecordingError(.unsupportedVersion, at: "$.format", "no migration from version \(version)")
            }
            document = try step(document)
            version += 1
        }
        return document
    }
}

extension Recording {
    var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("format", Recording.formatIdentifier)
        o.add("source", .object([("kind", .string(source.kind.rawValue)), ("name", .string(source.name)), ("tool", .string(source.tool))]))
        o.add("capturedAt", capturedAt.iso8601)
        o.add("sessions", .array(sessions.map(\.json)))
        // Last, so a streaming writer can add it once every session is out.
        o.addIfPresent("redaction", redaction?.json)
        return o.object
    }

    init(reader r: JSONReader) throws(RecordingError) {
        let s = try r.require("source")
        let source = Source(kind: try s.require("kind").enumValue(Source.Kind.self), name: try s.string("name"), tool: try s.string("tool"))
        let at = try r.require("capturedAt")
        guard let capturedAt = Timestamp(iso8601: try at.string) else {
            throw at.invalid("expected an RFC 3339 UTC time such as \"2026-11-25T06:00:00.000000Z\"")
        }
        var redaction: RedactionSummary?
        if let red = r.optional("redaction") {
            var counts: [String: Int] = [:]
            for (name, count) in try red.optional("counts")?.members() ?? [] { counts[name] = try count.int }
            redaction = RedactionSummary(enabled: try red.require("enabled").bool, pseudonymKeyID: try red.optionalString("pseudonymKeyId"), counts: counts)
        }
        var sessions: [Session] = []
        var ids = Set<String>()
        for element in try r.require("sessions").elements() {
            let session = try Session(reader: element)
            guard ids.insert(session.id).inserted else {
                throw try element.require("id").invalid("session id \"\(session.id)\" is used twice")
            }
            sessions.append(session)
        }
        self.init(source: source, capturedAt: capturedAt, redaction: redaction, sessions: sessions)
    }
}
