public import TrafficModel

/// Reads heads, trailer sections and chunk-size lines straight from the
/// parser's buffer memory (RFC 9112 §3–§5, §7.1). Every head byte passes
/// through here, so it works on a raw buffer pointer rather than the array.
/// Offsets are stream offsets; `base` is the stream offset of `bytes[0]`.
package struct HTTP1HeadReader {
    package let bytes: UnsafeBufferPointer<UInt8>
    package let base: Int
    package let maxHeaderFields: Int

    package static let lf: UInt8 = 0x0A
    package static let cr: UInt8 = 0x0D
    package static let space: UInt8 = 0x20
    package static let tab: UInt8 = 0x09

    @inline(__always) package func byte(_ offset: Int) -> UInt8 { bytes[offset - base] }

    /// The start line and fields of the head `[start, end)` (which ends
    /// with its empty line).
    package func parseHead(role: HTTP1Parser.Role, from start: Int, to end: Int) throws(WireError) -> (HTTP1Message.StartLine, [HeaderField]) {
        var lineFeed = start
        while lineFeed < end && byte(lineFeed) != Self.lf { lineFeed += 1 }
        var lineEnd = lineFeed
        if lineEnd > start && byte(lineEnd - 1) == Self.cr { lineEnd -= 1 }
        let startLine: HTTP1Message.StartLine
        switch role {
        case .request: startLine = try parseRequestLine((start, lineEnd))
        case .response: startLine = try parseStatusLine((start, lineEnd))
        }
        var fields: [HeaderField] = []
        fields.reserveCapacity(16)
        try parseFieldSection(from: lineFeed + 1, to: end, into: &fields)
        return (startLine, fields)
    }

    /// Every field line of `[start, end)`; empty lines (the last) are skipped.
    package func parseFieldSection(from start: Int, to end: Int, into fields: inout [HeaderField]) throws(WireError) {
        var lineStart = start
        var i = start - base
        let stop = end - base
        while i < stop {
            if bytes[i] == Self.lf {
                var contentEnd = i + base
                if contentEnd > lineStart && byte(contentEnd - 1) == Self.cr { contentEnd -= 1 }
                if contentEnd > lineStart { try parseFieldLine((lineStart, contentEnd), into: &fields) }
                lineStart = i + base + 1
            }
            i += 1
        }
    }

    /// `method SP request-target SP HTTP-version` (RFC 9112 §3).
    package func parseRequestLine(_ line: (start: Int, end: Int)) throws(WireError) -> HTTP1Message.StartLine {
        var firstSpace: Int?
        var lastSpace: Int?
        for i in line.start..<line.end where byte(i) == Self.space {
            if firstSpace == nil { firstSpace = i }
            lastSpace = i
        }
        guard let method = firstSpace, let version = lastSpace, method > line.start, version > method + 1 else {
            throw invalidStartLine(line, "request line is not `method SP target SP version`")
        }
        guard (line.start..<method).allSatisfy({ Self.isTokenByte(byte($0)) }) else {
            throw invalidStartLine(line, "request method is not a token")
        }
        guard ((method + 1)..<version).allSatisfy({ byte($0) > 0x20 && byte($0) != 0x7F }) else {
            throw invalidStartLine(line, "request-target contains whitespace or control bytes")
        }
        guard isHTTPVersion(from: version + 1, to: line.end) else {
            throw invalidStartLine(line, "request line does not end with an HTTP version (HTTP/d.d)")
        }
        return .request(
            method: string(line.start, method), target: string(method + 1, version),
            version: string(version + 1, line.end))
    }

    /// `HTTP-version SP 3DIGIT SP [reason-phrase]` (RFC 9112 §4); a missing
    /// SP after the status code is tolerated, as most clients do.
    package func parseStatusLine(_ line: (start: Int, end: Int)) throws(WireError) -> HTTP1Message.StartLine {
        let s = line.start
        guard line.end - s >= 12, isHTTPVersion(from: s, to: s + 8), byte(s + 8) == Self.space else {
            throw invalidStartLine(line, "status line does not start with `HTTP/d.d SP`")
        }
        var status = 0
        for i in (s + 9)..<(s + 12) {
            let digit = byte(i) &- UInt8(ascii: "0")
            guard digit <= 9 else { throw invalidStartLine(line, "status code is not three digits") }
            status = status * 10 + Int(digit)
        }
        guard line.end == s + 12 || byte(s + 12) == Self.space else {
            throw invalidStartLine(line, "status code is not three digits followed by SP")
        }
        let reason = line.end > s + 13 ? fieldValueString(s + 13, line.end) : ""
        return .response(version: string(s, s + 8), status: status, reason: reason)
    }

    /// One field line, or an obs-fold continuing the previous one (RFC 9112 §5).
    package func parseFieldLine(_ line: (start: Int, end: Int), into fields: inout [HeaderField]) throws(WireError) {
        let first = byte(line.start)
        if first == Self.space || first == Self.tab {
            // obs-fold (§5.2): replaced by one SP, the continuation joins the value.
            guard !fields.isEmpty else {
                throw WireError(.invalidFieldLine, offset: line.start, reason: "first field line starts with whitespace (obs-fold with nothing to continue)")
            }
            let (from, to) = trimmedOWS(line.start, line.end)
            if from < to {
                let continuation = fieldValueString(from, to)
                let last = fields.count - 1
                fields[last].value = fields[last].value.isEmpty ? continuation : fields[last].value + " " + continuation
            }
            return
        }
        guard let colon = (line.start..<line.end).first(where: { byte($0) == UInt8(ascii: ":") }) else {
            throw WireError(.invalidFieldLine, offset: line.start, reason: "field line without a colon: \(quoted(line))")
        }
        guard colon > line.start else {
            throw WireError(.invalidFieldLine, offset: line.start, reason: "field line with an empty name: \(quoted(line))")
        }
        let beforeColon = byte(colon - 1)
        if beforeColon == Self.space || beforeColon == Self.tab {
            // §5.1: MUST be rejected, it is a request smuggling vector.
            throw WireError(.whitespaceBeforeColon, offset: colon - 1, reason: "whitespace between field name and colon: \(quoted(line))")
        }
        guard (line.start..<colon).allSatisfy({ Self.isTokenByte(byte($0)) }) else {
            throw WireError(.invalidFieldLine, offset: line.start, reason: "field name is not a token: \(quoted(line))")
        }
        guard fields.count < maxHeaderFields else {
            throw WireError(.tooManyHeaderFields, offset: line.start, reason: "more than \(maxHeaderFields) field lines")
        }
        let (from, to) = trimmedOWS(colon + 1, line.end)
        fields.append(HeaderField(string(line.start, colon), fieldValueString(from, to)))
    }

    package func invalidStartLine(_ line: (start: Int, end: Int), _ reason: String) -> WireError {
        WireError(.invalidStartLine, offset: line.start, reason: "\(reason): \(quoted(line))")
    }

    package func isHTTPVersion(from: Int, to: Int) -> Bool {
        guard to - from == 8 else { return false }
        let prefix: [UInt8] = Array("HTTP/".utf8)
        for k in 0..<5 where byte(from + k) != prefix[k] { return false }
        return Self.isDigit(byte(from + 5)) && byte(from + 6) == UInt8(ascii: ".") && Self.isDigit(byte(from + 7))
    }

    package func trimmedOWS(_ from: Int, _ to: Int) -> (Int, Int) {
        var from = from
        var to = to
        while from < to && (byte(from) == Self.space || byte(from) == Self.tab) { from += 1 }
        while to > from && (byte(to - 1) == Self.space || byte(to - 1) == Self.tab) { to -= 1 }
        return (from, to)
    }

    /// ASCII text (tokens, versions, targets).
    package func string(_ from: Int, _ to: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[(from - base)..<(to - base)]), as: UTF8.self)
    }

    /// Field values are UTF-8 in practice; other bytes (obs-text) are read as
    /// ISO-8859-1 so that no byte is lost.
    package func fieldValueString(_ from: Int, _ to: Int) -> String {
        let text = UnsafeBufferPointer(rebasing: bytes[(from - base)..<(to - base)])
        if text.allSatisfy({ $0 < 0x80 }) { return String(decoding: text, as: UTF8.self) }
        if let valid = String(validating: text, as: UTF8.self) { return valid }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: text.map { Unicode.Scalar($0) })
        return String(scalars)
    }

    /// A line for an error message: at most 80 bytes, non-printable bytes escaped.
    package func quoted(_ line: (start: Int, end: Int)) -> String {
        var text = "\""
        for i in line.start..<min(line.end, line.start + 80) {
            let b = byte(i)
            if b >= 0x20 && b < 0x7F && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") {
                text.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                text += "\\x" + String(b, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        if line.end - line.start > 80 { text += "…" }
        return text + "\""
    }

    package static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    /// tchar (RFC 9110 §5.6.2).
    package static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// `chunk-size [BWS] [; chunk-ext] CRLF`: the size in hex; extensions
    /// are ignored (they carry nothing a recording keeps).
    package func parseChunkSize(lineStart: Int, lineFeed: Int) throws(WireError) -> Int {
        var end = lineFeed
        if end > lineStart && byte(end - 1) == Self.cr { end -= 1 }
        var i = lineStart
        var size = 0
        while i < end, let digit = Self.hexValue(byte(i)) {
            guard size <= (Int.max - digit) / 16 else {
                throw WireError(.invalidChunkSize, offset: lineStart, reason: "chunk size overflows: \(quoted((lineStart, end)))")
            }
            size = size * 16 + digit
            i += 1
        }
        guard i > lineStart else {
            throw WireError(.invalidChunkSize, offset: lineStart, reason: "chunk-size line does not start with a hex size: \(quoted((lineStart, end)))")
        }
        while i < end && (byte(i) == Self.space || byte(i) == Self.tab) { i += 1 }
        guard i == end || byte(i) == UInt8(ascii: ";") else {
            throw WireError(.invalidChunkSize, offset: i, reason: "unexpected bytes after the chunk size: \(quoted((lineStart, end)))")
        }
        return size
    }

    package static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(b - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }
}

extension HTTP1Parser {
    /// Runs `body` with a reader over the buffer's memory.
    package func withReader<R>(_ body: (HTTP1HeadReader) throws(WireError) -> R) throws(WireError) -> R {
        let base = baseOffset
        let maxHeaderFields = limits.maxHeaderFields
        let result = buffer.withUnsafeBufferPointer { bytes -> Result<R, WireError> in
            Result { () throws(WireError) -> R in
                try body(HTTP1HeadReader(bytes: bytes, base: base, maxHeaderFields: maxHeaderFields))
            }
        }
        return try result.get()
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
