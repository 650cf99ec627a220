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
        let proto = bytes[offset + 9]
        let fragment = bytes.u16(offset + 6)
        let moreFragments = fragment & 0x2000 != 0
        let fragmentOffset = Int(fragment & 0x1FFF) * 8
        if moreFragments || fragmentOffset != 0 {
            let key = IPFragment.Key(
                source: source, destination: destination, identification: UInt32(bytes.u16(offset + 4)), proto: proto)
            // min() drops Ethernet padding beyond the declared length.
            let end = offset + max(headerLength, min(total, captured))
            let piece = IPFragment(
                key: key, offset: fragmentOffset, moreFragments: moreFragments,
                payload: payload((offset + headerLength)..<end), ipVersion: 4)
            return .ipFragment(onPath(piece, adding: .ipv4Fragment))
        }
        return try transport(
            proto, at: offset + headerLength, declared: total - headerLength,
            captured: min(total, captured) - headerLength, source: source, destination: destination, ipVersion: 4)
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
        return try ipv6Payload(
            next: bytes[offset + 6], at: offset + 40, end: offset + 40 + payloadLength,
            source: source, destination: destination)
    }

    /// Walks IPv6 extension headers from `position` to the upper layer; `end`
    /// is where the payload ends per the IPv6 header (the capture may hold less).
    func ipv6Payload(
        next first: UInt8, at start: Int, end: Int, source: IPAddress, destination: IPAddress
    ) throws(CaptureError) -> DecodedPacket {
        var next = first
        var position = start
        var layers: PacketLayers = []
        while true {
            switch next {
            case 0, 43, 60:  // hop-by-hop, routing, destination options: (len + 1) * 8
                try need(2, from: position, "IPv6 extension header \(next)")
                let length = (Int(bytes[position + 1]) + 1) * 8
                try need(length, from: position, "IPv6 extension header \(next)")
                next = bytes[position]
                position += length
                layers.insert(.ipv6Extension)
            case 51:  // authentication header (RFC 4302): (len + 2) * 4
                try need(2, from: position, "IPv6 authentication header")
                let length = (Int(bytes[position + 1]) + 2) * 4
                try need(length, from: position, "IPv6 authentication header")
                next = bytes[position]
                position += length
                layers.insert(.ipv6Extension)
            case 44:
                try need(8, from: position, "IPv6 fragment header")
                let field = bytes.u16(position + 2)
                let fragmentOffset = Int(field >> 3) * 8
                let more = field & 1 != 0
                if fragmentOffset != 0 || more {
                    let key = IPFragment.Key(
                        source: source, destination: destination, identification: bytes.u32(position + 4),
                        proto: bytes[position])
                    let piece = IPFragment(
                        key: key, offset: fragmentOffset, moreFragments: more,
                        payload: payload((position + 8)..<max(position + 8, min(end, bytes.count))), ipVersion: 6)
                    return .ipFragment(onPath(piece, adding: layers.union(.ipv6Fragment)))
                }
                next = bytes[position]  // atomic fragment: the whole packet is here
                position += 8
                layers.insert(.ipv6Extension)
            default:  // the upper layer, or 59 no next header, ESP, ...
                guard position <= end else {
                    throw .malformed("IPv6 extension headers overrun the payload length \(end - start)")
                }
                return try with(layers).transport(
                    next, at: position, declared: end - position, captured: max(0, min(end, bytes.count) - position),
                    source: source, destination: destination, ipVersion: 6)
            }
        }
    }

    /// The upper layer of an IP packet: TCP, or a tunnel carrying more IP.
    func transport(
        _ proto: UInt8, at offset: Int, declared: Int, captured: Int, source: IPAddress, destination: IPAddress,
        ipVersion: Int
    ) throws(CaptureError) -> DecodedPacket {
        switch proto {
        case 6:
            return try tcp(at: offset, declared: declared, captured: captured, source: source, destination: destination)
        case 17:
            return try udp(at: offset, end: offset + captured)
        case 47:
            return try gre(at: offset, udp: false)
        case 4:
            return try inner(.ipInIP(inner: 4, outer: ipVersion)).ipv4(at: offset)
        case 41:
            return try inner(.ipInIP(inner: 6, outer: ipVersion)).ipv6(at: offset)
        case 50:
            // The trailer is at the end: a packet the capture cut has none.
            guard captured >= declared else { return .notTCP }
            return try with(.espNull).espNull(
                at: offset, end: offset + captured, source: source, destination: destination, ipVersion: ipVersion)
        case 108:
            return try with(.ipcomp).ipcomp(
                at: offset, end: offset + captured, source: source, destination: destination, ipVersion: ipVersion)
        default:
            return .notTCP
        }
    }

    /// A fragment with the tunnels and layers this frame went through.
    func onPath(_ piece: IPFragment, adding fragmentLayer: PacketLayers) -> IPFragment {
        var piece = piece
        piece.tunnels = tunnels
        piece.layers = layers.union(fragmentLayer)
        return piece
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
                missingBytes: declared - max(captured, headerLength), tunnels: tunnels, layers: layers))
    }
}
