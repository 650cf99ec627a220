/// Whether a connection's first bytes start an HTTP/1.x request line.
///
/// RFC 9110 §9.1 makes any token a method (`RPC_IN_DATA`, `PROPFIND`,
/// `M-SEARCH`), so a fixed list of methods drops real HTTP. A token alone is
/// too weak a sign (`220 ` and `SSH-2.0 ` are tokens too), so:
/// - when the first line is complete it must be `token SP target SP HTTP/1.d`
///   (the HTTP/2 preface `PRI * HTTP/2.0` is not HTTP/1.x), or an HTTP/0.9
///   simple request `GET /path`;
/// - while it is not (a request line split across segments), the method must
///   look like one in use: upper-case letters, digits, `_` and `-`, with at
///   least one letter, followed by SP and a target that starts with `/`, `*`
///   or a letter (absolute-form and authority-form).
package enum HTTP1RequestLineSniffer {
    /// Longest method token considered (the longest registered one is 17 bytes).
    static let maxMethodLength = 32

    package static func startsRequest(_ bytes: ArraySlice<UInt8>) -> Bool {
        let start = bytes.startIndex
        var i = start
        while i < bytes.endIndex, i - start <= maxMethodLength, HTTP1HeadReader.isTokenByte(bytes[i]) { i += 1 }
        guard i > start, i < bytes.endIndex, bytes[i] == UInt8(ascii: " ") else { return false }
        let method = bytes[start..<i]
        guard let lineEnd = bytes[i...].firstIndex(of: UInt8(ascii: "\n")) else {
            return looksLikeMethod(method) && targetStarts(bytes, at: i + 1)
        }
        var end = lineEnd
        if end > i, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        let target = (i + 1)..<end
        if let versionStart = bytes[target].lastIndex(of: UInt8(ascii: " ")),
           bytes[(versionStart + 1)..<end].starts(with: "HTTP/".utf8) {
            // `SP HTTP/1.d` ends the line.
            let version = bytes[(versionStart + 1)..<end]
            guard version.count == 8, version.starts(with: "HTTP/1.".utf8), isDigit(version[version.startIndex + 7]),
                  versionStart > i + 1
            else { return false }
            return ((i + 1)..<versionStart).allSatisfy { bytes[$0] > 0x20 && bytes[$0] != 0x7F }
        }
        // No version: an HTTP/0.9 simple request (`GET /path`), kept so its
        // connection is recorded (as malformed HTTP) rather than dropped.
        return looksLikeMethod(method) && end > i + 1 && bytes[i + 1] == UInt8(ascii: "/")
            && bytes[target].allSatisfy { $0 > 0x20 && $0 != 0x7F }
    }

    private static func looksLikeMethod(_ method: ArraySlice<UInt8>) -> Bool {
        var letter = false
        for b in method {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): letter = true
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"): continue
            default: return false
            }
        }
        return letter
    }

    private static func targetStarts(_ bytes: ArraySlice<UInt8>, at i: Int) -> Bool {
        guard i < bytes.endIndex else { return true }  // "GET " and nothing yet
        let b = bytes[i]
        return b == UInt8(ascii: "/") || b == UInt8(ascii: "*") || isDigit(b) || (b | 0x20 >= UInt8(ascii: "a") && b | 0x20 <= UInt8(ascii: "z"))
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
}
