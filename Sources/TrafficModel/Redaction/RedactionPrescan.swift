/// A byte test that tells when redaction cannot change a text or a JSON
/// document, so the pass can return it without parsing it (import runs
/// redaction over every payload a capture holds, mostly without a secret).
///
/// It only ever answers "cannot change" when that is certain: every finding
/// of the full pass starts from a literal the test looks for.
/// - `JWT.findAll` needs `eyJ`; `SecretPattern.find` needs `-----BEGIN `,
///   `AKIA`, `ASIA`, `AIza`, `github_pat_`, `gh[pousr]_` or `xox[baprs]-`.
/// - A JSON body key only matters as a member name equal to the key after
///   unescaping and `lowercased()`, so the document holds a quoted string of
///   at most `6 × key length` bytes before its next quote (a `\uXXXX` escape
///   is six bytes per character). Such a string with a backslash, or with
///   U+212A KELVIN SIGN (the one non-ASCII scalar whose lowercase form is
///   equivalent to a key character: a test checks every scalar), is assumed
///   to be a key; an ASCII one is compared with the keys ignoring case.
/// - User regular expressions and JSON paths can match anything: with any,
///   the test is off and every value takes the full pass.
struct RedactionPrescan: Sendable {
    /// False with user regexes: any text may match.
    let textEnabled: Bool
    /// False with user regexes, JSON paths, or a body key outside `[a-z0-9_-]`.
    let documentEnabled: Bool
    /// Body keys (lowercase ASCII), by byte length.
    private let keysByLength: [[[UInt8]]]
    /// Quoted strings up to this many bytes may be body keys.
    private let maxKeyBytes: Int

    /// The characters body keys may have for the document test to be on.
    static let keyAlphabet = Set("abcdefghijklmnopqrstuvwxyz0123456789_-".utf8)

    init(bodyKeys: Set<String>, jsonPaths: [String], regexes: [String]) {
        textEnabled = regexes.isEmpty
        let keys = bodyKeys.map { Array($0.utf8) }
        let keysFit = keys.allSatisfy { !$0.isEmpty && $0.allSatisfy(Self.keyAlphabet.contains) }
        documentEnabled = textEnabled && jsonPaths.isEmpty && keysFit
        let longest = keys.map(\.count).max() ?? 0
        var byLength = [[[UInt8]]](repeating: [], count: longest + 1)
        for key in keys { byLength[key.count].append(key) }
        keysByLength = byLength
        maxKeyBytes = 6 * longest
    }

    /// False when `text(_:)` returns `utf8` unchanged, certainly.
    func textMayChange(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        !textEnabled || scan(utf8, keys: false)
    }

    /// False when `document(_:isForm: false)` returns `utf8` unchanged, certainly.
    func documentMayChange(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        !documentEnabled || scan(utf8, keys: true)
    }

    private func scan(_ utf8: UnsafeBufferPointer<UInt8>, keys: Bool) -> Bool {
        guard let base = utf8.baseAddress else { return false }
        let count = utf8.count
        var i = 0
        while true {
            // Sixteen bytes at a time to the next byte that may anchor a finding.
            i = keys
                ? ByteScan.firstMarked(base, from: i, count: count, AnchorsAndQuotes.self)
                : ByteScan.firstMarked(base, from: i, count: count, Anchors.self)
            guard i < count else { return false }
            switch base[i] {
            case UInt8(ascii: "J"):
                if i >= 2 && base[i - 2] == UInt8(ascii: "e") && base[i - 1] == UInt8(ascii: "y") { return true }
            case UInt8(ascii: "-"):
                if has("-----BEGIN ", at: i, in: utf8) { return true }
                if i >= 4 && has("xox", at: i - 4, in: utf8) && "baprs".utf8.contains(base[i - 1]) { return true }
            case UInt8(ascii: "A"):
                if has("AKIA", at: i, in: utf8) || has("ASIA", at: i, in: utf8) || has("AIza", at: i, in: utf8) { return true }
            case UInt8(ascii: "_"):
                if i >= 3 && base[i - 3] == UInt8(ascii: "g") && base[i - 2] == UInt8(ascii: "h") && "pousr".utf8.contains(base[i - 1]) { return true }
                if i >= 6 && has("github_pat_", at: i - 6, in: utf8) { return true }
            case UInt8(ascii: "\"") where keys:
                if mayOpenKey(at: i, in: utf8) { return true }
            default:
                break
            }
            i += 1
        }
    }

    /// Whether the quoted string opening at `quote` may be a body key.
    private func mayOpenKey(at quote: Int, in utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = quote + 1
        let limit = min(utf8.count, start + maxKeyBytes + 1)
        var end = start
        var plainASCII = true
        while end < limit && utf8[end] != UInt8(ascii: "\"") {
            let b = utf8[end]
            if b == UInt8(ascii: "\\") { return true }
            if b == 0xE2 && end + 2 < utf8.count && utf8[end + 1] == 0x84 && utf8[end + 2] == 0xAA { return true }
            if b >= 0x80 { plainASCII = false }
            end += 1
        }
        let length = end - start
        guard end < limit, plainASCII, length < keysByLength.count else { return false }
        for key in keysByLength[length] {
            var k = 0
            while k < length {
                var b = utf8[start + k]
                if b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z") { b |= 0x20 }
                if b != key[k] { break }
                k += 1
            }
            if k == length { return true }
        }
        return false
    }

    private func has(_ literal: StaticString, at offset: Int, in utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard offset >= 0, offset + n <= utf8.count else { return false }
        let p = literal.utf8Start
        for k in 0..<n where utf8[offset + k] != p[k] { return false }
        return true
    }
}

extension RedactionPrescan {
    /// The bytes every finding is anchored on: `J` (of `eyJ`), `-`, `A`, `_`.
    enum Anchors: ByteClass {
        @inline(__always)
        static func isMarked(_ b: UInt8) -> Bool {
            b == UInt8(ascii: "J") || b == UInt8(ascii: "-") || b == UInt8(ascii: "A") || b == UInt8(ascii: "_")
        }

        @inline(__always)
        static func marks(_ lanes: ByteScan.Lanes) -> ByteScan.Marks {
            lanes .== ByteScan.Lanes(repeating: UInt8(ascii: "J")) .| lanes .== ByteScan.Lanes(repeating: UInt8(ascii: "-"))
                .| lanes .== ByteScan.Lanes(repeating: UInt8(ascii: "A")) .| lanes .== ByteScan.Lanes(repeating: UInt8(ascii: "_"))
        }
    }

    /// The anchors and `"`, where a body key may start.
    enum AnchorsAndQuotes: ByteClass {
        @inline(__always)
        static func isMarked(_ b: UInt8) -> Bool { Anchors.isMarked(b) || b == UInt8(ascii: "\"") }

        @inline(__always)
        static func marks(_ lanes: ByteScan.Lanes) -> ByteScan.Marks {
            Anchors.marks(lanes) .| lanes .== ByteScan.Lanes(repeating: UInt8(ascii: "\""))
        }
    }
}
