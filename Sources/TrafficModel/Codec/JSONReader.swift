/// Reads a `JSONValue` field by field, keeping the JSON path for errors.
struct JSONReader {
    let value: JSONValue
    let path: String

    init(_ value: JSONValue, path: String = "$") {
        self.value = value
        self.path = path
    }

    private func member(_ key: String) -> JSONValue? {
        let m = value[key]
        if let m, m.isNull { return nil }
        return m
    }

    func child(_ key: String) -> String { "\(path).\(key)" }

    func require(_ key: String) throws(RecordingError) -> JSONReader {
        guard let m = member(key) else {
            throw RecordingError(.missingField, at: child(key), "required field \"\(key)\" is missing")
        }
        return JSONReader(m, path: child(key))
    }

    func optional(_ key: String) -> JSONReader? {
        member(key).map { JSONReader($0, path: child(key)) }
    }

    func wrongType(_ expected: String) -> RecordingError {
        RecordingError(.wrongType, at: path, "expected \(expected), found \(value.typeName)")
    }

    func invalid(_ reason: String) -> RecordingError {
        RecordingError(.invalidValue, at: path, reason)
    }

    var string: String {
        get throws(RecordingError) {
            guard let s = value.stringValue else { throw wrongType("a string") }
            return s
        }
    }

    var int: Int {
        get throws(RecordingError) {
            guard case .number = value else { throw wrongType("an integer") }
            guard let i = value.intValue else { throw invalid("expected an integer, found \(JSONWriter.compact(value))") }
            return i
        }
    }

    var double: Double {
        get throws(RecordingError) {
            guard let d = value.doubleValue, d.isFinite else { throw wrongType("a number") }
            return d
        }
    }

    var bool: Bool {
        get throws(RecordingError) {
            guard let b = value.boolValue else { throw wrongType("a boolean") }
            return b
        }
    }

    func elements() throws(RecordingError) -> [JSONReader] {
        guard let a = value.arrayValue else { throw wrongType("an array") }
        return a.enumerated().map { JSONReader($0.element, path: "\(path)[\($0.offset)]") }
    }

    func members() throws(RecordingError) -> [(String, JSONReader)] {
        guard let o = value.objectValue else { throw wrongType("an object") }
        return o.map { ($0.0, JSONReader($0.1, path: child($0.0))) }
    }

    func enumValue<E: RawRepresentable & CaseIterable>(_: E.Type) throws(RecordingError) -> E where E.RawValue == String {
        let s = try string
        guard let e = E(rawValue: s) else {
            let allowed = E.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw invalid("\"\(s)\" is not one of \(allowed)")
        }
        return e
    }

    // Conveniences for the common "required field of type T" case.
    func string(_ key: String) throws(RecordingError) -> String { try require(key).string }
    func int(_ key: String) throws(RecordingError) -> Int { try require(key).int }
    func double(_ key: String) throws(RecordingError) -> Double { try require(key).double }
    func optionalString(_ key: String) throws(RecordingError) -> String? { try optional(key)?.string }
    func optionalInt(_ key: String) throws(RecordingError) -> Int? { try optional(key)?.int }
    func optionalDouble(_ key: String) throws(RecordingError) -> Double? { try optional(key)?.double }
    /// A number the codec writes with `decimals` fraction digits (times,
    /// JWT offsets), read at that precision: decode, encode, decode gives
    /// back the same value, whatever precision a hand-written file used.
    func fixed(_ key: String, decimals: Int = 6) throws(RecordingError) -> Double {
        Self.atPrecision(try double(key), decimals)
    }

    func optionalFixed(_ key: String, decimals: Int = 6) throws(RecordingError) -> Double? {
        try optionalDouble(key).map { Self.atPrecision($0, decimals) }
    }

    static func atPrecision(_ value: Double, _ decimals: Int) -> Double {
        Double(formatFixed(value, decimals: decimals)) ?? value
    }

    func optionalBool(_ key: String) throws(RecordingError) -> Bool? { try optional(key)?.bool }
    func array(_ key: String) throws(RecordingError) -> [JSONReader] { try optional(key)?.elements() ?? [] }
}
