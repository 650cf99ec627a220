extension Frame {
    func ipv4(at offset: Int) throws(CaptureError) -> DecodedPacket {
        try need(20, from: offset, "IPv4 header")
        let version = bytes[offset] >> 4
        guard version == 4 else { throw .malformed("IPv4 header has version \(version)") }
        let headerLength = Int(bytes[offset] & 0x0F) * 4
        guard headerLength >= 20 else { throw .malformed("IPv4 header length \(headerLength) is below 20") }
        try need(headerLength, from: offset, "IPv4 header")
        let captured = bytes.count - offset
        // Total length 0 appears in TSO/GSO captures: trust the capture then.
        var total = Int(bytes.u16(offset + 2))
        if total == 0 { total = captured }
        guard total >= headerLength else {
            throw .malformed("IPv4 total length \(total) is below its header length \(headerLength)")
        }
        let source = IPAddress.v4(bytes.u32(offset + 12))
        let destination = IPAddress.v4(bytes.u32(offset + 16))
        let fragment = bytes.u16(offset + 6)
        let moreFragments = fragment & 0x2000 != 0
        let fragmentOffset = Int(fragment & 0x1FFF) * 8
        if moreFragments || fragmentOffset != 0 {
            let detail = "IPv4 fragment id \(bytes.u16(offset + 4)) offset \(fragmentOffset)"
                + (moreFragments ? " (more fragments)" : " (last)")
            return .ipFragment(source: source, destination: destination, detail: detail)
        }
        guard bytes[offset + 9] == 6 else { return .notTCP }
        // min() drops Ethernet padding beyond the declared length.
        return try tcp(
            at: offset + headerLength, declared: total - headerLength,
            captured: min(total, captured) - headerLength, source: source, destination: destination)
    }

    func ipv6(at offset: Int) throws(CaptureError) -> DecodedPacket {
        try need(40, from: offset, "IPv6 header")
        let version = bytes[offset] >> 4
        guard version == 6 else { throw .malformed("IPv6 header has version \(version)") }
        let source = IPAddress.v6(high: bytes.u64(offset + 8), low: bytes.u64(offset + 16))
        let destination = IPAddress.v6(high: bytes.u64(offset + 24), low: bytes.u64(offset + 32))
        let captured = bytes.count - offset - 40
        var payloadLength = Int(bytes.u16(offset + 4))
        if payloadLength == 0 { payloadLength = captured }  // jumbogram or TSO capture
        let end = offset + 40 + payloadLength
        var next = bytes[offset + 6]
        var position = offset + 40
        while true {
            switch next {
            case 6:
                guard position <= end else {
                    throw .malformed("IPv6 extension headers overrun the payload length \(payloadLength)")
                }
                return try tcp(
                    at: position, declared: end - position, captured: min(end, bytes.count) - position,
                    source: source, destination: destination)
            case 0, 43, 60:  // hop-by-hop, routing, destination options: (len + 1) * 8
                try need(2, from: position, "IPv6 extension header \(next)")
                let length = (Int(bytes[position + 1]) + 1) * 8
                try need(length, from: position, "IPv6 extension header \(next)")
                next = bytes[position]
                position += length
            case 51:  // authentication header: (len + 2) * 4
                try need(2, from: position, "IPv6 authentication header")
                let length = (Int(bytes[position + 1]) + 2) * 4
                try need(length, from: position, "IPv6 authentication header")
                next = bytes[position]
                position += length
            case 44:
                try need(8, from: position, "IPv6 fragment header")
                let field = bytes.u16(position + 2)
                let fragmentOffset = Int(field >> 3) * 8
                let more = field & 1 != 0
                if fragmentOffset != 0 || more {
                    let detail = "IPv6 fragment id \(bytes.u32(position + 4)) offset \(fragmentOffset)"
                        + (more ? " (more fragments)" : " (last)")
                    return .ipFragment(source: source, destination: destination, detail: detail)
                }
                next = bytes[position]  // atomic fragment: the whole packet is here
                position += 8
            default:  // 59 no next header, UDP, ICMPv6, ESP, ...
                return .notTCP
            }
        }
    }

    /// `declared` is the TCP segment length per IP; `captured` what the frame holds of it.
    func tcp(
        at offset: Int, declared: Int, captured: Int, source: IPAddress, destination: IPAddress
    ) throws(CaptureError) -> DecodedPacket {
        try need(20, from: offset, "TCP header")
        let headerLength = Int(bytes[offset + 12] >> 4) * 4
        guard headerLength >= 20 else { throw .malformed("TCP data offset \(headerLength) is below 20") }
        guard headerLength <= declared else {
            throw .malformed("TCP header length \(headerLength) exceeds the segment length \(declared)")
        }
        try need(headerLength, from: offset, "TCP header")
        let payloadStart = offset + headerLength
        let payloadEnd = offset + max(captured, headerLength)
        return .tcp(
            TCPSegment(
                source: IPEndpoint(source, bytes.u16(offset)),
                destination: IPEndpoint(destination, bytes.u16(offset + 2)),
                sequence: bytes.u32(offset + 4),
                acknowledgment: bytes.u32(offset + 8),
                flags: TCPFlags(rawValue: bytes[offset + 13] & 0x3F),
                window: bytes.u16(offset + 14),
                payload: payload(payloadStart..<payloadEnd),
                missingBytes: declared - max(captured, headerLength)))
    }
}
