/// Serializes `JSONValue` deterministically: members in stored order, numbers
/// as their literal, only the escapes RFC 8259 requires, two-space indent.
///
/// Short arrays of scalars (a header field `["Host", "x"]`) stay on one line
/// so a recording reads well in a code review.
public enum JSONWriter {
    public static func compact(_ value: JSONValue) -> String {
        var out = ""
        write(value, into: &out, indent: nil, level: 0)
        return out
    }

    /// Pretty form; `level` indents nested lines as if the value stood that
    /// many levels deep (the first line is not indented).
    public static func pretty(_ value: JSONValue, level: Int = 0) -> String {
        var out = ""
        write(value, into: &out, indent: "  ", level: level)
        out += "\n"
        return out
    }

    private static func write(_ value: JSONValue, into out: inout String, indent: String?, level: Int) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += n
        case .string(let s): writeString(s, into: &out)
        case .array(let elements):
            if elements.isEmpty {
                out += "[]"
                return
            }
            guard let indent, !isInline(elements) else {
                out += "["
                for (i, element) in elements.enumerated() {
                    if i > 0 { out += indent == nil ? "," : ", " }
                    write(element, into: &out, indent: nil, level: 0)
                }
                out += "]"
                return
            }
            out += "["
            for (i, element) in elements.enumerated() {
                out += i == 0 ? "\n" : ",\n"
                newlineIndent(indent, level + 1, into: &out)
                write(element, into: &out, indent: indent, level: level + 1)
            }
            out += "\n"
            newlineIndent(indent, level, into: &out)
            out += "]"
        case .object(let members):
            if members.isEmpty {
                out += "{}"
                return
            }
            out += "{"
            for (i, (name, member)) in members.enumerated() {
                if let indent {
                    out += i == 0 ? "\n" : ",\n"
                    newlineIndent(indent, level + 1, into: &out)
                } else if i > 0 {
                    out += ","
                }
                writeString(name, into: &out)
                out += indent == nil ? ":" : ": "
                write(member, into: &out, indent: indent, level: level + 1)
            }
            if let indent {
                out += "\n"
                newlineIndent(indent, level, into: &out)
            }
            out += "}"
        }
    }

    /// Arrays of up to four short scalars print on one line.
    private static func isInline(_ elements: [JSONValue]) -> Bool {
        guard elements.count <= 4 else { return false }
        return elements.allSatisfy {
            switch $0 {
            case .null, .bool, .number: return true
            case .string(let s): return s.utf8.count <= 120
            case .array, .object: return false
            }
        }
    }

    private static func newlineIndent(_ indent: String, _ level: Int, into out: inout String) {
        for _ in 0..<level { out += indent }
    }

    private static let hex: [Character] = Array("0123456789abcdef")

    static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let v = Int(scalar.value)
                    out += "\\u00"
                    out.append(hex[v >> 4])
                    out.append(hex[v & 0xF])
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
