extension Frame {
    /// ESP (RFC 4303) with NULL encryption (RFC 2410): the payload is in the
    /// clear between the 8-byte header and the trailer, but the trailer's
    /// place depends on the integrity check's length, which only the security
    /// association knows. The usual lengths are tried; one is taken only when
    /// the trailer is self-consistent (RFC 4303's default padding 1, 2, 3, …
    /// and a next header that is TCP or a tunnel) and TCP's header fits.
    /// Encrypted ESP fails those checks and is "not TCP".
    func espNull(
        at offset: Int, end: Int, source: IPAddress, destination: IPAddress, ipVersion: Int
    ) throws(CaptureError) -> DecodedPacket {
        let end = min(end, bytes.count)
        let start = offset + 8
        guard end - start >= 2 else { return .notTCP }
        // No ICV, HMAC-SHA1-96 / -MD5-96, HMAC-SHA-256-128, AES-GMAC / -SHA-512-256.
        for icv in [12, 16, 0, 24, 32] {
            let nextHeaderAt = end - icv - 1
            guard nextHeaderAt - 1 >= start else { continue }
            let next = bytes[nextHeaderAt]
            let padding = Int(bytes[nextHeaderAt - 1])
            let payloadEnd = nextHeaderAt - 1 - padding
            guard [4, 6, 41].contains(next), payloadEnd >= start,
                  (0..<padding).allSatisfy({ bytes[payloadEnd + $0] == UInt8($0 + 1) })
            else { continue }
            if next == 6 {
                guard payloadEnd - start >= 20 else { continue }
                let headerLength = Int(bytes[start + 12] >> 4) * 4
                guard headerLength >= 20, headerLength <= payloadEnd - start else { continue }
            } else {
                guard payloadEnd > start, bytes[start] >> 4 == (next == 4 ? 4 : 6) else { continue }
            }
            let length = payloadEnd - start
            return try transport(
                next, at: start, declared: length, captured: length, source: source, destination: destination,
                ipVersion: ipVersion)
        }
        return .notTCP
    }
}
