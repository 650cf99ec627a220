/// Escaping for XML 1.0 and HTML text and attribute values, written once for
/// the JUnit reports (replay, serve --exec) and the HTML report: recorded
/// text is attacker-controlled (a server can answer anything), so every
/// recorded byte that reaches markup goes through here.
public enum MarkupText {
    /// `& < > " '` as entities, newline and tab as character references (so
    /// attribute values keep them); characters XML cannot carry at all (most
    /// C0 controls, U+FFFE, U+FFFF) become U+FFFD.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += "&#10;"
            case "\t", "\r": out += "&#\(scalar.value);"
            default:
                if scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF {
                    out += "\u{FFFD}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
