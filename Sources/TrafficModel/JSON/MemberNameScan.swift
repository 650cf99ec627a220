/// A byte test that tells when a JSON document certainly has no member whose
/// name, unescaped and `lowercased()`, is one of `keys`: then a caller that
/// only looks for such members need not parse it. Shared by redaction's
/// prescan (body keys) and the search for credentials in WebSocket messages.
///
/// Such a name is a quoted string of at most `6 × key length` bytes before
/// its closing quote (a `\uXXXX` escape is six bytes per character). A
/// string that short with a backslash, or with U+212A KELVIN SIGN (the one
/// non-ASCII scalar whose lowercase form is equivalent to a key character:
/// a test checks every scalar), is assumed to be a key; an ASCII one is
/// compared with the keys ignoring case. Keys are `[a-z0-9_-]`.
struct MemberNameScan: Sendable {
    /// Keys (lowercase ASCII), by byte length.
    private let keysByLength: [[[UInt8]]]
    /// Quoted strings up to this many bytes may be keys.
    private let maxKeyBytes: Int

    /// The characters keys may have.
    static let keyAlphabet = Set("abcdefghijklmnopqrstuvwxyz0123456789_-".utf8)

    /// Nil when a key is empty or has a character outside `keyAlphabet`.
    init?(keys: Set<String>) {
        let keys = keys.map { Array($0.utf8) }
        guard keys.allSatisfy({ !$0.isEmpty && $0.allSatisfy(Self.keyAlphabet.contains) }) else { return nil }
        let longest = keys.map(\.count).max() ?? 0
        var byLength = [[[UInt8]]](repeating: [], count: longest + 1)
        for key in keys { byLength[key.count].append(key) }
        keysByLength = byLength
        maxKeyBytes = 6 * longest
    }

    /// False when no quoted string of `utf8` can be a key, certainly.
    func mayNameKey(_ utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = utf8.baseAddress else { return false }
        let count = utf8.count
        var i = 0
        while true {
            // Every quote may open a name (the scan does not track which strings are values).
            i = ByteScan.firstMarked(base, from: i, count: count, Quotes.self)
            guard i < count else { return false }
            if mayOpenKey(at: i, in: utf8) { return true }
            i += 1
        }
    }

    /// Whether the quoted string opening at `quote` may be a key.
    func mayOpenKey(at quote: Int, in utf8: UnsafeBufferPointer<UInt8>) -> Bool {
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

    /// `"`, where a member name may start.
    enum Quotes: ByteClass {
        @inline(__always)
        static func isMarked(_ b: UInt8) -> Bool { b == UInt8(ascii: "\"") }

        @inline(__always)
        static func marks(_ lanes: ByteScan.Lanes) -> ByteScan.Marks { lanes .== ByteScan.Lanes(repeating: UInt8(ascii: "\"")) }
    }
}
