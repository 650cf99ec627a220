/// A byte test that tells when redaction cannot change a text or a JSON
/// document, so the pass can return it without parsing it (import runs
/// redaction over every payload a capture holds, mostly without a secret).
///
/// It only ever answers "cannot change" when that is certain: every finding
/// of the full pass starts from a literal the test looks for.
/// - `JWT.findAll` needs `eyJ`; `SecretPattern.find` needs `-----BEGIN `,
///   `AKIA`, `ASIA`, `AIza`, `github_pat_`, `gh[pousr]_` or `xox[baprs]-`.
/// - A JSON body key only matters as a member name equal to the key after
///   unescaping and `lowercased()`: `MemberNameScan` finds the quoted strings
///   that may be one.
/// - User regular expressions and JSON paths can match anything: with any,
///   the test is off and every value takes the full pass.
struct RedactionPrescan: Sendable {
    /// False with user regexes: any text may match.
    let textEnabled: Bool
    /// False with user regexes, JSON paths, or a body key outside `[a-z0-9_-]`.
    let documentEnabled: Bool
    /// Body keys, as member names (nil when one has a character outside `MemberNameScan.keyAlphabet`).
    private let names: MemberNameScan?

    /// The characters body keys may have for the document test to be on.
    static var keyAlphabet: Set<UInt8> { MemberNameScan.keyAlphabet }

    init(bodyKeys: Set<String>, jsonPaths: [String], regexes: [String]) {
        textEnabled = regexes.isEmpty
        names = MemberNameScan(keys: bodyKeys)
        documentEnabled = textEnabled && jsonPaths.isEmpty && names != nil
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
                if names?.mayOpenKey(at: i, in: utf8) ?? true { return true }
            default:
                break
            }
            i += 1
        }
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
