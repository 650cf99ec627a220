#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Base64 (RFC 4648 §4) and base64url (§5) over Foundation's codec.
///
/// Foundation does the bit work; this adds what it leaves to callers: the
/// URL alphabet, unpadded input and output (JWTs), and a strict check of the
/// padding, which Foundation's decoder does not make (it takes "ab=c"), so
/// that a random string is not mistaken for a token.
public enum Base64 {
    /// Padded standard base64, or with `url` the URL alphabet; `padding: false`
    /// drops the trailing `=` (JWS, RFC 7515 §2).
    public static func encode<Bytes: Collection<UInt8>>(_ bytes: Bytes, url: Bool = false, padding: Bool = true) -> String {
        var text = Data(bytes).base64EncodedString()
        if !padding {
            while text.utf8.last == UInt8(ascii: "=") { text.removeLast() }
        }
        guard url else { return text }
        return String(decoding: text.utf8.map(urlLetter), as: UTF8.self)
    }

    /// base64url's letter for a standard one (RFC 4648 §5: `+/` become `-_`).
    private static func urlLetter(_ letter: UInt8) -> UInt8 {
        switch letter {
        case UInt8(ascii: "+"): UInt8(ascii: "-")
        case UInt8(ascii: "/"): UInt8(ascii: "_")
        default: letter
        }
    }

    /// Decodes standard or URL-safe base64, padded or not (either alphabet's
    /// two extra letters are taken anywhere). Nil on any byte outside the
    /// alphabets, `=` other than one or two at the end of a whole group, or a
    /// length no bytes encode to.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var letters = Array(text.utf8)
        var padding = 0
        while letters.last == UInt8(ascii: "=") {
            letters.removeLast()
            padding += 1
        }
        let rest = letters.count % 4
        guard rest != 1, padding <= 2, padding == 0 || rest + padding == 4 else { return nil }
        for i in letters.indices {
            switch letters[i] {
            case UInt8(ascii: "-"): letters[i] = UInt8(ascii: "+")
            case UInt8(ascii: "_"): letters[i] = UInt8(ascii: "/")
            // Foundation would take an `=` inside the text.
            case UInt8(ascii: "="): return nil
            default: break  // Foundation rejects the rest of what is not the alphabet.
            }
        }
        if rest > 0 { letters += [UInt8](repeating: UInt8(ascii: "="), count: 4 - rest) }
        return Data(base64Encoded: Data(letters)).map(Array.init)
    }
}
