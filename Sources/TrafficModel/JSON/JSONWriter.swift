/// Serializes `JSONValue` deterministically: members in stored order, numbers
/// as their literal, only the escapes RFC 8259 requires (plus DEL), two-space
/// indent.
///
/// Short arrays of scalars (a header field `["Host", "x"]`) stay on one line
/// so a recording reads well in a code review. Output is built as UTF-8
/// bytes, copying unescaped runs of a string in bulk: recordings carry
/// megabytes of payload text.
public enum JSONWriter {
    public static func compact(_ value: JSONValue) -> String {
        var out = Output()
        out.write(value, indent: false, level: 0)
        return out.string
    }

    /// Pretty form; `level` indents nested lines as if the value stood that
    /// many levels deep (the first line is not indented).
    public static func pretty(_ value: JSONValue, level: Int = 0) -> String {
        var out = Output()
        out.write(value, indent: true, level: level)
        out.bytes.append(UInt8(ascii: "\n"))
        return out.string
    }

    /// The pretty form without its final newline, for a streaming writer.
    static func prettyFragment(_ value: JSONValue, level: Int) -> String {
        var out = Output()
        out.write(value, indent: true, level: level)
        return out.string
    }

    static func writeString(_ s: String, into out: inout String) {
        var o = Output()
        o.writeString(s)
        out += o.string
    }

    struct Output {
        var bytes: [UInt8] = []

        var string: String { String(decoding: bytes, as: UTF8.self) }

        mutating func append(_ text: StaticString) {
            text.withUTF8Buffer { bytes.append(contentsOf: $0) }
        }

        mutating func newline(_ level: Int) {
            bytes.append(UInt8(ascii: "\n"))
            for _ in 0..<level { append("  ") }
        }

        mutating func write(_ value: JSONValue, indent: Bool, level: Int) {
            switch value {
            case .null: append("null")
            case .bool(let b): b ? append("true") : append("false")
            case .number(let n): bytes.append(contentsOf: n.utf8)
            case .string(let s): writeString(s)
            case .array(let elements):
                if elements.isEmpty {
                    append("[]")
                    return
                }
                if !indent || JSONWriter.isInline(elements) {
                    bytes.append(UInt8(ascii: "["))
                    for (i, element) in elements.enumerated() {
                        if i > 0 { indent ? append(", ") : append(",") }
                        write(element, indent: false, level: 0)
                    }
                    bytes.append(UInt8(ascii: "]"))
                } else {
                    bytes.append(UInt8(ascii: "["))
                    for (i, element) in elements.enumerated() {
                        prettyElement(first: i == 0, level: level)
                        write(element, indent: true, level: level + 1)
                    }
                    prettyClose(UInt8(ascii: "]"), empty: false, level: level)
                }
            case .object(let members):
                if members.isEmpty {
                    append("{}")
                    return
                }
                bytes.append(UInt8(ascii: "{"))
                for (i, (name, member)) in members.enumerated() {
                    if indent {
                        prettyMember(name, first: i == 0, level: level)
                    } else {
                        if i > 0 { bytes.append(UInt8(ascii: ",")) }
                        writeString(name)
                        append(":")
                    }
                    write(member, indent: indent, level: level + 1)
                }
                indent ? prettyClose(UInt8(ascii: "}"), empty: false, level: level) : bytes.append(UInt8(ascii: "}"))
            }
        }

        // MARK: Pretty layout
        // The one definition of how pretty objects and non-inline arrays are
        // laid out, shared by the tree walk above and `JSONStreamObject`,
        // which writes a session's members without building a tree.

        /// Before a member of an object at `level`: its separator, line and name.
        mutating func prettyMember(_ name: String, first: Bool, level: Int) {
            if !first { bytes.append(UInt8(ascii: ",")) }
            newline(level + 1)
            writeString(name)
            append(": ")
        }

        /// Before an element of a (non-inline) array at `level`.
        mutating func prettyElement(first: Bool, level: Int) {
            if !first { bytes.append(UInt8(ascii: ",")) }
            newline(level + 1)
        }

        /// After the members or elements of a container at `level`; an empty
        /// one closes on the same line (`{}`, `[]`).
        mutating func prettyClose(_ bracket: UInt8, empty: Bool, level: Int) {
            if !empty { newline(level) }
            bytes.append(bracket)
        }

        private static let hex = Array("0123456789abcdef".utf8)

        mutating func writeString(_ s: String) {
            var s = s
            s.withUTF8 { writeString(utf8: $0) }
        }

        /// The escaped string, quotes included. Payloads are megabytes of text
        /// that mostly need no escape, so runs are found sixteen bytes at a
        /// time (`ByteScan`) and copied in bulk; the escapes are the same as
        /// byte by byte.
        mutating func writeString(utf8: UnsafeBufferPointer<UInt8>) {
            bytes.append(UInt8(ascii: "\""))
            guard let base = utf8.baseAddress else {
                bytes.append(UInt8(ascii: "\""))
                return
            }
            let count = utf8.count
            var runStart = 0
            var i = 0
            while true {
                i = ByteScan.firstMarked(base, from: i, count: count, JSONEscapedBytes.self)
                guard i < count else { break }
                let b = base[i]
                let escape: StaticString?
                switch b {
                case UInt8(ascii: "\""): escape = "\\\""
                case UInt8(ascii: "\\"): escape = "\\\\"
                case 0x0A: escape = "\\n"
                case 0x0D: escape = "\\r"
                case 0x09: escape = "\\t"
                case 0x08: escape = "\\b"
                case 0x0C: escape = "\\f"
                case 0x00..<0x20, 0x7F: escape = nil
                default:  // not reached: `JSONEscapedBytes` marks exactly the cases above
                    i += 1
                    continue
                }
                bytes.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: i - runStart))
                i += 1
                runStart = i
                if let escape {
                    append(escape)
                } else {
                    append("\\u00")
                    bytes.append(Self.hex[Int(b >> 4)])
                    bytes.append(Self.hex[Int(b & 0xF)])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: count - runStart))
            bytes.append(UInt8(ascii: "\""))
        }
    }

    /// Arrays of up to four short scalars print on one line.
    static func isInline(_ elements: [JSONValue]) -> Bool {
        guard elements.count <= 4 else { return false }
        return elements.allSatisfy {
            switch $0 {
            case .null, .bool, .number: return true
            case .string(let s): return s.utf8.count <= 120
            case .array, .object: return false
            }
        }
    }
}

/// The bytes a JSON string cannot hold as they are: control bytes, `"`, `\`
/// (RFC 8259 §7), and DEL.
enum JSONEscapedBytes: ByteClass {
    @inline(__always)
    static func isMarked(_ b: UInt8) -> Bool {
        b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b == 0x7F
    }

    @inline(__always)
    static func marks(_ lanes: ByteScan.Lanes) -> ByteScan.Marks {
        lanes .< ByteScan.Lanes(repeating: 0x20) .| lanes .== ByteScan.Lanes(repeating: UInt8(ascii: "\""))
            .| lanes .== ByteScan.Lanes(repeating: UInt8(ascii: "\\")) .| lanes .== ByteScan.Lanes(repeating: 0x7F)
    }
}
