/// Base64 (RFC 4648 §4) and base64url (§5) without Foundation, strict about
/// the alphabet so a random string is not mistaken for a token.
public enum Base64 {
    private static let standard = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let url = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    public static func encode<Bytes: Collection<UInt8>>(_ bytes: Bytes, url: Bool = false, padding: Bool = true) -> String {
        if let text = bytes.withContiguousStorageIfAvailable({ encode(buffer: $0, url: url, padding: padding) }) { return text }
        return Array(bytes).withUnsafeBufferPointer { encode(buffer: $0, url: url, padding: padding) }
    }

    /// Three bytes to four letters at a time, written in place: recordings
    /// carry binary WebSocket payloads of megabytes as base64.
    private static func encode(buffer bytes: UnsafeBufferPointer<UInt8>, url: Bool, padding: Bool) -> String {
        let whole = bytes.count / 3
        let rest = bytes.count % 3
        let length = whole * 4 + (rest == 0 ? 0 : padding ? 4 : rest + 1)
        guard length > 0 else { return "" }
        return (url ? Self.url : Self.standard).withUnsafeBufferPointer { alphabet in
            String(unsafeUninitializedCapacity: length) { out in
                var o = 0
                var i = 0
                while i < whole * 3 {
                    let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
                    out[o] = alphabet[Int(v >> 18)]
                    out[o + 1] = alphabet[Int(v >> 12 & 0x3F)]
                    out[o + 2] = alphabet[Int(v >> 6 & 0x3F)]
                    out[o + 3] = alphabet[Int(v & 0x3F)]
                    i += 3
                    o += 4
                }
                if rest > 0 {
                    let v = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
                    out[o] = alphabet[Int(v >> 18)]
                    out[o + 1] = alphabet[Int(v >> 12 & 0x3F)]
                    o += 2
                    if rest == 2 {
                        out[o] = alphabet[Int(v >> 6 & 0x3F)]
                        o += 1
                    } else if padding {
                        out[o] = UInt8(ascii: "=")
                        o += 1
                    }
                    if padding {
                        out[o] = UInt8(ascii: "=")
                        o += 1
                    }
                }
                return o
            }
        }
    }

    /// Decodes standard or URL-safe base64, padded or not. Nil on any byte
    /// outside the alphabet or an impossible length.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var values: [UInt8] = []
        values.reserveCapacity(text.utf8.count)
        var sawPadding = 0
        for byte in text.utf8 {
            let value: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = byte - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = byte - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = byte - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"), UInt8(ascii: "-"): value = 62
            case UInt8(ascii: "/"), UInt8(ascii: "_"): value = 63
            case UInt8(ascii: "="):
                sawPadding += 1
                continue
            default: return nil
            }
            if sawPadding > 0 { return nil }
            values.append(value)
        }
        if values.count % 4 == 1 || sawPadding > 2 { return nil }
        if sawPadding > 0 && (values.count + sawPadding) % 4 != 0 { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(values.count * 3 / 4)
        var i = 0
        while i + 1 < values.count {
            out.append(values[i] << 2 | values[i + 1] >> 4)
            if i + 2 < values.count { out.append(values[i + 1] << 4 | values[i + 2] >> 2) }
            if i + 3 < values.count { out.append(values[i + 2] << 6 | values[i + 3]) }
            i += 4
        }
        return out
    }
}
