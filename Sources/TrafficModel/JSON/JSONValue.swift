/// A JSON value that keeps what was on the wire: object members in their
/// original order and numbers as their literal text.
///
/// Keeping order and literals makes encoding deterministic and lossless:
/// a claim set or a WebSocket payload prints back exactly as it was read,
/// and the same value always serializes to the same bytes.
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    /// The number's literal text, validated by the parser (RFC 8259 §6).
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in order. Duplicate names are kept as read.
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(b)
        case .number(let n): hasher.combine(n)
        case .string(let s): hasher.combine(s)
        case .array(let a): hasher.combine(a)
        case .object(let members):
            hasher.combine(members.count)
            for (k, v) in members {
                hasher.combine(k)
                hasher.combine(v)
            }
        }
    }
}

extension JSONValue {
    public static func int(_ value: Int) -> JSONValue { .number(String(value)) }

    /// A number with at most `decimals` fraction digits, trailing zeros kept
    /// so that the width is stable in diffs.
    public static func fixed(_ value: Double, decimals: Int = 6) -> JSONValue {
        .number(formatFixed(value, decimals: decimals))
    }

    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var doubleValue: Double? {
        if case .number(let n) = self { return Double(n) }
        return nil
    }

    public var intValue: Int? {
        guard case .number(let n) = self else { return nil }
        if let i = Int(n) { return i }
        if let d = Double(n), d.rounded() == d, abs(d) < 9.0e15 { return Int(d) }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: [(String, JSONValue)]? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The JSON type's name, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

/// Formats `value` with exactly `decimals` fraction digits, without Foundation
/// locale effects. Used wherever a time offset is written.
public func formatFixed(_ value: Double, decimals: Int) -> String {
    precondition(decimals >= 0 && decimals <= 9)
    guard value.isFinite else { return "0" }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let negative = value < 0 && scaled != 0
    guard scaled < 9.0e18 else { return String(value) }
    let units = UInt64(scaled)
    // Digits written backwards into a stack buffer: one String, and one that
    // fits inline (no allocation) for the times every message carries.
    return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { buffer in
        var i = buffer.count
        func put(_ byte: UInt8) {
            i -= 1
            buffer[i] = byte
        }
        var fraction = units % UInt64(scale)
        for _ in 0..<decimals {
            put(UInt8(ascii: "0") + UInt8(fraction % 10))
            fraction /= 10
        }
        if decimals > 0 { put(UInt8(ascii: ".")) }
        var whole = units / UInt64(scale)
        repeat {
            put(UInt8(ascii: "0") + UInt8(whole % 10))
            whole /= 10
        } while whole > 0
        if negative { put(UInt8(ascii: "-")) }
        return String(decoding: UnsafeBufferPointer(rebasing: buffer[i...]), as: UTF8.self)
    }
}
