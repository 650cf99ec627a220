/// A bound secret written where its pseudonym stood, encoded for the place.
enum SecretEncoding {
    /// Query values are percent-encoded (RFC 3986 unreserved characters kept).
    static func query(_ target: String, _ values: [String: String]) -> String {
        guard let q = target.firstIndex(of: "?") else { return target }
        return String(target[...q]) + form(String(target[target.index(after: q)...]), values)
    }

    static func form(_ text: String, _ values: [String: String]) -> String {
        replace(text, values) { percentEncode($0) }
    }

    /// Text or JSON: inside a JSON string the secret is escaped; elsewhere it goes in as is.
    static func document(_ text: String, _ values: [String: String]) -> String {
        // Parsing to tell JSON apart only pays where a pseudonym stands.
        guard text.contains(Pseudonymizer.marker) else { return text }
        let first = text.first { $0 != " " && $0 != "\n" && $0 != "\r" && $0 != "\t" }
        let isJSON = (first == "{" || first == "[") && (try? JSONParser.parse(text)) != nil
        return replace(text, values) { value in
            guard isJSON else { return value }
            var quoted = ""
            JSONWriter.writeString(value, into: &quoted)
            return String(quoted.dropFirst().dropLast())
        }
    }

    /// Header values; a Basic password is bound inside its base64.
    static func header(_ name: String, _ value: String, _ values: [String: String]) -> String {
        let lower = name.lowercased()
        if lower == "authorization" || lower == "proxy-authorization",
           let space = value.firstIndex(of: " "), value[..<space].lowercased() == "basic" {
            let encoded = value[value.index(after: space)...].trimmingSpaces()
            guard let decoded = Base64.decode(encoded), let text = String(validating: decoded, as: UTF8.self) else { return value }
            let bound = replace(text, values) { $0 }
            return bound == text ? value : String(value[...space]) + Base64.encode(Array(bound.utf8))
        }
        return replace(value, values) { $0 }
    }

    private static func replace(_ text: String, _ values: [String: String], encode: (String) -> String) -> String {
        guard text.contains(Pseudonymizer.marker) else { return text }
        var out = text
        for (pseudonym, value) in values where out.contains(pseudonym) {
            out = out.replacing(pseudonym, with: encode(value))
        }
        return out
    }

    private static func percentEncode(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(Character(Unicode.Scalar(byte)))
            default:
                let hex = Array("0123456789ABCDEF")
                out += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0xF)])
            }
        }
        return out
    }
}
