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

extension Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// `encode(bytes)`'s letters (padded, standard alphabet) appended to `out`.
    /// Written here rather than through Foundation for the recording writer:
    /// encoding every binary message of an import as `Data`, then a `String`,
    /// then copying that into the output took 8% of importing a capture of
    /// WebSocket sessions (perf, issue 19); this writes straight into the
    /// output. `Base64AndJWTTests` checks it against `encode` byte for byte.
    static func append(_ bytes: [UInt8], to out: inout [UInt8]) {
        let count = bytes.count
        let start = out.count
        out.append(contentsOf: repeatElement(0, count: (count + 2) / 3 * 4))
        bytes.withUnsafeBufferPointer { source in
            alphabet.withUnsafeBufferPointer { letters in
                out.withUnsafeMutableBufferPointer { all in
                    guard let src = source.baseAddress, let a = letters.baseAddress, let dst = all.baseAddress?.advanced(by: start) else { return }
                    var i = 0, o = 0
                    while i + 3 <= count {
                        let v = UInt32(src[i]) << 16 | UInt32(src[i + 1]) << 8 | UInt32(src[i + 2])
                        dst[o] = a[Int(v >> 18)]
                        dst[o + 1] = a[Int(v >> 12 & 63)]
                        dst[o + 2] = a[Int(v >> 6 & 63)]
                        dst[o + 3] = a[Int(v & 63)]
                        i += 3
                        o += 4
                    }
                    guard i < count else { return }
                    let second = i + 1 < count ? UInt32(src[i + 1]) : 0
                    let v = UInt32(src[i]) << 16 | second << 8
                    dst[o] = a[Int(v >> 18)]
                    dst[o + 1] = a[Int(v >> 12 & 63)]
                    dst[o + 2] = i + 1 < count ? a[Int(v >> 6 & 63)] : UInt8(ascii: "=")
                    dst[o + 3] = UInt8(ascii: "=")
                }
            }
        }
    }
}
