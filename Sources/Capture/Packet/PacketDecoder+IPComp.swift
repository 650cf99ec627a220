import Wire

extension Frame {
    /// IP Payload Compression (RFC 3173) with DEFLATE (RFC 2394), as IPsec
    /// tunnels negotiate it: next header, flags, CPI, then the compressed
    /// payload. Inflated with Wire's one zlib raw-inflate stream, bounded by
    /// the largest IP payload, so a compression bomb costs 64 KiB at most.
    func ipcomp(
        at offset: Int, end: Int, source: IPAddress, destination: IPAddress, ipVersion: Int
    ) throws(CaptureError) -> DecodedPacket {
        try need(4, from: offset, "IPComp header")
        let next = bytes[offset]
        // CPI 1-63 are IANA's: only 2 is DEFLATE. Larger ones are negotiated
        // per security association; DEFLATE is what is used in practice, and
        // data that does not inflate is simply not decoded.
        let cpi = bytes.u16(offset + 2)
        guard cpi == 2 || cpi >= 64, end > offset + 4 else { return .notTCP }
        let compressed = [UInt8](UnsafeRawBufferPointer(rebasing: bytes[(offset + 4)..<min(end, bytes.count)]))
        let (inflated, outcome) = ZlibInflateStream().inflate(compressed, limit: 65535)
        guard outcome == .complete, !inflated.isEmpty else { return .notTCP }
        let outer = try inner()
        return try PacketDecoder.withFrame(inflated[...], ports: ports) { frame throws(CaptureError) in
            var frame = frame
            frame.depth = outer.depth
            frame.tunnels = outer.tunnels
            frame.layers = outer.layers
            return try frame.transport(
                next, at: 0, declared: inflated.count, captured: inflated.count, source: source,
                destination: destination, ipVersion: ipVersion)
        }
    }
}
