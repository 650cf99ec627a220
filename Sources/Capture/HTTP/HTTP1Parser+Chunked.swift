// Chunked transfer coding (RFC 9112 §7.1).
extension HTTP1Parser {
    /// `chunk-size [BWS] [; chunk-ext] CRLF`: the size in hex; extensions
    /// are ignored (they carry nothing a recording keeps).
    func parseChunkSize(lineStart: Int, lineFeed: Int) throws(HTTP1ParseError) -> Int {
        var end = lineFeed
        if end > lineStart && byte(end - 1) == Self.cr { end -= 1 }
        var i = lineStart
        var size = 0
        while i < end, let digit = Self.hexValue(byte(i)) {
            guard size <= (Int.max - digit) / 16 else {
                throw HTTP1ParseError(.invalidChunkSize, offset: lineStart, reason: "chunk size overflows: \(quoted((lineStart, end)))")
            }
            size = size * 16 + digit
            i += 1
        }
        guard i > lineStart else {
            throw HTTP1ParseError(.invalidChunkSize, offset: lineStart, reason: "chunk-size line does not start with a hex size: \(quoted((lineStart, end)))")
        }
        while i < end && (byte(i) == Self.space || byte(i) == Self.tab) { i += 1 }
        guard i == end || byte(i) == UInt8(ascii: ";") else {
            throw HTTP1ParseError(.invalidChunkSize, offset: i, reason: "unexpected bytes after the chunk size: \(quoted((lineStart, end)))")
        }
        return size
    }

    static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(b - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }
}
