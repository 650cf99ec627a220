/// The shape of a volatile value: what it is, not what it says. Two runs of
/// the same server give different UUIDs, timestamps and tokens with the same
/// shapes, so a replay compares those by shape.
public enum ValueShape: String, Hashable, Sendable {
    case uuid = "a UUID"
    case jwt = "a JWT"
    case dateTime = "an RFC 3339 date-time"
    case epochSeconds = "an epoch time in seconds"
    case epochMilliseconds = "an epoch time in milliseconds"
    case hex = "a hex string"
    case integer = "an integer"
    case number = "a number"
    case string = "a string"
    case boolean = "a boolean"
    case null = "null"
    case array = "an array"
    case object = "an object"

    /// Shapes recognised from the value alone mark it volatile wherever it appears.
    public var isVolatileByItself: Bool {
        switch self {
        case .uuid, .jwt, .dateTime, .epochSeconds, .epochMilliseconds: return true
        case .hex, .integer, .number, .string, .boolean, .null, .array, .object: return false
        }
    }

    public init(of value: JSONValue) {
        switch value {
        case .null: self = .null
        case .bool: self = .boolean
        case .array: self = .array
        case .object: self = .object
        case .number(let literal):
            let v = Double(literal) ?? 0
            if v >= 1.0e9 && v < 1.0e11 {
                self = .epochSeconds
            } else if v >= 1.0e12 && v < 1.0e14 && !literal.contains(".") {
                self = .epochMilliseconds
            } else if Int(literal) != nil {
                self = .integer
            } else {
                self = .number
            }
        case .string(let s): self = Self.shape(ofString: s)
        }
    }

    static func shape(ofString s: String) -> ValueShape {
        let b = Array(s.utf8)
        if isUUID(b) { return .uuid }
        if s.hasPrefix("eyJ"), JWT(s) != nil { return .jwt }
        if Timestamp(iso8601: s) != nil { return .dateTime }
        if b.count >= 8, b.allSatisfy(isHexDigit) { return .hex }
        return .string
    }

    static func isHexDigit(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46)
    }

    static func isUUID(_ b: [UInt8]) -> Bool {
        guard b.count == 36 else { return false }
        for (i, c) in b.enumerated() {
            if i == 8 || i == 13 || i == 18 || i == 23 {
                if c != UInt8(ascii: "-") { return false }
            } else if !isHexDigit(c) {
                return false
            }
        }
        return true
    }
}
