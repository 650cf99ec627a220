#if canImport(Glibc)
import Glibc  // log2
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Well-known secret formats that are secrets wherever they appear: private
/// keys and cloud/service keys. Hand-written scanners over UTF-8 (no regex
/// engine), shared by `Redactor` (which replaces them) and `SecretLinter`
/// (which reports survivors).
public enum SecretPattern: String, Hashable, Sendable, CaseIterable {
    /// `-----BEGIN … PRIVATE KEY-----` up to its END line.
    case privateKey = "private-key"
    /// `AKIA`/`ASIA` and 16 upper-case letters or digits.
    case awsAccessKeyID = "aws-access-key-id"
    /// `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` and 36+ letters or digits; `github_pat_…`.
    case githubToken = "github-token"
    /// `xoxb-`, `xoxa-`, `xoxp-`, `xoxr-`, `xoxs-` and 10+ letters, digits or dashes.
    case slackToken = "slack-token"
    /// `AIza` and 35 base64url letters.
    case googleAPIKey = "google-api-key"

    public struct Match: Hashable, Sendable {
        public var pattern: SecretPattern
        /// Byte offsets into the text's UTF-8.
        public var range: Range<Int>
    }

    /// Every match in `text`, in order, not overlapping.
    public static func find(in text: String) -> [Match] {
        let bytes = Array(text.utf8)
        var matches: [Match] = []
        var i = 0
        while i < bytes.count {
            if let match = match(at: i, in: bytes) {
                matches.append(match)
                i = match.range.upperBound
            } else {
                i += 1
            }
        }
        return matches
    }

    private static func match(at i: Int, in b: [UInt8]) -> Match? {
        func has(_ prefix: String, at offset: Int) -> Bool {
            let p = Array(prefix.utf8)
            return offset + p.count <= b.count && Array(b[offset..<offset + p.count]) == p
        }
        func run(from start: Int, while allowed: (UInt8) -> Bool) -> Int {
            var j = start
            while j < b.count, allowed(b[j]) { j += 1 }
            return j - start
        }
        // A key glued to a longer word is some other identifier.
        let boundary = i == 0 || !isWordByte(b[i - 1])
        switch b[i] {
        case UInt8(ascii: "-"):
            guard has("-----BEGIN ", at: i) else { return nil }
            let lineEnd = (i..<b.count).first { b[$0] == 0x0A || (b[$0] == UInt8(ascii: "\\") && $0 + 1 < b.count && b[$0 + 1] == UInt8(ascii: "n")) } ?? b.count
            let header = String(decoding: b[i..<lineEnd], as: UTF8.self)
            guard header.contains("PRIVATE KEY-----") else { return nil }
            // Through the END line's closing dashes, or the rest of the text when it was cut.
            var end = b.count
            if let endLine = (lineEnd..<b.count).first(where: { has("-----END ", at: $0) }),
               let close = (endLine + 9..<b.count).first(where: { has("-----", at: $0) }) {
                end = close + 5
            }
            return Match(pattern: .privateKey, range: i..<end)
        case UInt8(ascii: "A"):
            guard boundary else { return nil }
            if has("AKIA", at: i) || has("ASIA", at: i) {
                let n = run(from: i + 4) { isUpper($0) || isDigit($0) }
                if n == 16 && (i + 20 == b.count || !isWordByte(b[i + 20])) { return Match(pattern: .awsAccessKeyID, range: i..<i + 20) }
            }
            if has("AIza", at: i) {
                let n = run(from: i + 4) { isWordByte($0) || $0 == UInt8(ascii: "-") }
                if n == 35 { return Match(pattern: .googleAPIKey, range: i..<i + 39) }
            }
            return nil
        case UInt8(ascii: "g"):
            guard boundary else { return nil }
            if has("github_pat_", at: i) {
                let n = run(from: i + 11) { isWordByte($0) }
                return n >= 22 ? Match(pattern: .githubToken, range: i..<i + 11 + n) : nil
            }
            for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] where has(prefix, at: i) {
                let n = run(from: i + 4) { isUpper($0) || isLower($0) || isDigit($0) }
                return n >= 36 ? Match(pattern: .githubToken, range: i..<i + 4 + n) : nil
            }
            return nil
        case UInt8(ascii: "x"):
            guard boundary, has("xox", at: i), i + 4 < b.count, "baprs".utf8.contains(b[i + 3]), b[i + 4] == UInt8(ascii: "-") else { return nil }
            let n = run(from: i + 5) { isUpper($0) || isLower($0) || isDigit($0) || $0 == UInt8(ascii: "-") }
            return n >= 10 ? Match(pattern: .slackToken, range: i..<i + 5 + n) : nil
        default:
            return nil
        }
    }
}

private func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5A }
private func isLower(_ b: UInt8) -> Bool { b >= 0x61 && b <= 0x7A }
private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
private func isWordByte(_ b: UInt8) -> Bool { isUpper(b) || isLower(b) || isDigit(b) || b == UInt8(ascii: "_") }

/// Shannon entropy in bits per character, and the "looks random" test the
/// linter uses for values in credential positions.
enum Entropy {
    static func bitsPerCharacter(_ text: String) -> Double {
        var counts: [Unicode.Scalar: Int] = [:]
        var total = 0
        for scalar in text.unicodeScalars {
            counts[scalar, default: 0] += 1
            total += 1
        }
        guard total > 0 else { return 0 }
        var bits = 0.0
        for count in counts.values {
            let p = Double(count) / Double(total)
            bits -= p * log2(p)
        }
        return bits
    }

    /// Long enough and varied enough to be a generated token, not a word.
    static func looksRandom(_ text: String) -> Bool {
        let length = text.unicodeScalars.count
        guard length >= 16 else { return false }
        return bitsPerCharacter(text) >= 3.0
    }
}
