/// Decapsulation: the tunnels traffic mirroring and overlays deliver
/// (gopacket's layer model: each layer decodes its header and hands the rest
/// to the next). A UDP packet on a tunnel port that does not carry what the
/// tunnel would is not TCP, not an error: ports are only a hint.
extension Frame {
    @inline(__always)
    func udp(at offset: Int, end: Int) throws(CaptureError) -> DecodedPacket {
        try need(8, from: offset, "UDP header")
        let sourcePort = bytes.u16(offset)
        let destinationPort = bytes.u16(offset + 2)
        let start = offset + 8
        // The destination port names the service; the source port is tried second
        // (Teredo and AYIYA servers answer from theirs).
        guard let tunnel = ports.tunnel(on: destinationPort) ?? ports.tunnel(on: sourcePort) else { return .notTCP }
        switch tunnel {
        case .vxlan: return try vxlan(at: start)
        case .geneve: return try geneve(at: start)
        case .greInUDP: return try gre(at: start, udp: true)
        case .gtpU: return try gtpU(at: start)
        case .teredo: return try teredo(at: start)
        case .ayiya: return try ayiya(at: start)
        }
    }

    /// VXLAN (RFC 7348 §5): flags, 24 reserved bits, VNI, reserved; then Ethernet.
    @inline(__always)
    func vxlan(at offset: Int) throws(CaptureError) -> DecodedPacket {
        try need(8, from: offset, "VXLAN header")
        guard bytes[offset] & 0x08 != 0 else { return .notTCP }  // I flag: the VNI is valid
        return try inner(.vxlan(vni: bytes.u32(offset + 4) >> 8)).ethernet(at: offset + 8)
    }

    /// Geneve (RFC 8926 §3.4): version, option length, protocol type, VNI; options skipped.
    func geneve(at offset: Int) throws(CaptureError) -> DecodedPacket {
        try need(8, from: offset, "Geneve header")
        guard bytes[offset] >> 6 == 0 else { return .notTCP }
        let start = offset + 8 + Int(bytes[offset] & 0x3F) * 4
        try need(start - offset, from: offset, "Geneve options")
        let tunnel = TunnelLayer.geneve(vni: bytes.u32(offset + 4) >> 8)
        let proto = bytes.u16(offset + 2)
        if proto == 0x6558 { return try inner(tunnel).ethernet(at: start) }
        return try inner(tunnel).etherType(proto, at: start)
    }

    /// GRE (RFC 2784, keys and sequence numbers RFC 2890, PPTP's version 1
    /// RFC 2637), and the ERSPAN types mirrored switch ports send over it.
    func gre(at offset: Int, udp: Bool) throws(CaptureError) -> DecodedPacket {
        try need(4, from: offset, "GRE header")
        let flags = bytes.u16(offset)
        let proto = bytes.u16(offset + 2)
        guard flags & 0x4000 == 0 else { return .notTCP }  // source routing (deprecated): not decoded
        var position = offset + 4
        if flags & 0x8000 != 0 { position += 4 }  // checksum and reserved
        var key: UInt32?
        if flags & 0x2000 != 0 {
            try need(position + 4 - offset, from: offset, "GRE key")
            key = bytes.u32(position)
            position += 4
        }
        let sequenced = flags & 0x1000 != 0
        if sequenced { position += 4 }
        if flags & 7 == 1 && flags & 0x0080 != 0 { position += 4 }  // PPTP acknowledgment number
        try need(position - offset, from: offset, "GRE header")
        let tunnel = TunnelLayer.gre(key: flags & 7 == 1 ? nil : key, udp: udp)
        switch proto {
        case 0x6558:  // transparent Ethernet bridging
            return try inner(tunnel).ethernet(at: position)
        case 0x88BE where !sequenced:  // ERSPAN type I: no header, Ethernet follows
            return try inner(tunnel).inner(.erspan(type: 1, session: nil)).ethernet(at: position)
        case 0x88BE:  // ERSPAN type II: 8-byte header
            try need(8, from: position, "ERSPAN type II header")
            let session = bytes.u16(position + 2) & 0x3FF
            return try inner(tunnel).inner(.erspan(type: 2, session: session)).ethernet(at: position + 8)
        case 0x22EB:  // ERSPAN type III: 12-byte header, 8 more when O (platform subheader) is set
            try need(12, from: position, "ERSPAN type III header")
            let session = bytes.u16(position + 2) & 0x3FF
            let start = position + 12 + (bytes[position + 11] & 1 != 0 ? 8 : 0)
            return try inner(tunnel).inner(.erspan(type: 3, session: session)).ethernet(at: start)
        case 0x880B:  // PPP (PPTP)
            return try inner(tunnel).ppp(at: position)
        default:
            return try inner(tunnel).etherType(proto, at: position)
        }
    }

    /// A PPP frame, with or without HDLC address/control and protocol-field compression.
    func ppp(at offset: Int) throws(CaptureError) -> DecodedPacket {
        var position = offset
        try need(1, from: position, "PPP header")
        if bytes[position] == 0xFF {
            try need(2, from: position, "PPP header")
            position += 2
        }
        try need(1, from: position, "PPP protocol")
        // Protocol-field compression (RFC 1661 §6.5): an odd first byte is the whole field.
        let compressed = bytes[position] & 1 == 1
        if !compressed { try need(2, from: position, "PPP protocol") }
        let field = compressed ? UInt16(bytes[position]) : bytes.u16(position)
        let start = position + (compressed ? 1 : 2)
        switch field {
        case 0x0021: return try ipv4(at: start)
        case 0x0057: return try ipv6(at: start)
        default: return .notTCP
        }
    }

    /// GTP-U (3GPP TS 29.281 §5): G-PDUs carry user IP; optional fields and
    /// extension headers are skipped.
    func gtpU(at offset: Int) throws(CaptureError) -> DecodedPacket {
        try need(8, from: offset, "GTP-U header")
        let flags = bytes[offset]
        guard flags >> 5 == 1, flags & 0x10 != 0, bytes[offset + 1] == 0xFF else { return .notTCP }
        let teid = bytes.u32(offset + 4)
        var position = offset + 8
        if flags & 0x07 != 0 {
            try need(12, from: offset, "GTP-U optional fields")
            var nextType = bytes[offset + 11]
            position = offset + 12
            while nextType != 0 {
                try need(1, from: position, "GTP-U extension header")
                let length = Int(bytes[position]) * 4
                guard length > 0 else { throw .malformed("GTP-U extension header of length 0") }
                try need(length, from: position, "GTP-U extension header")
                nextType = bytes[position + length - 1]
                position += length
            }
        }
        return try inner(.gtpU(teid: teid)).innerIP(at: position)
    }

    /// Teredo (RFC 4380 §5.1.1): IPv6, optionally after an origin indication
    /// or an authentication header.
    func teredo(at offset: Int) throws(CaptureError) -> DecodedPacket {
        var position = offset
        for _ in 0..<2 {
            guard position + 2 <= bytes.count, bytes[position] == 0 else { break }
            switch bytes[position + 1] {
            case 0:  // origin indication: 8 bytes
                position += 8
            case 1:  // authentication: indicator, ID and AU lengths, ID, AU, nonce, confirmation
                try need(4, from: position, "Teredo authentication header")
                position += 4 + Int(bytes[position + 2]) + Int(bytes[position + 3]) + 9
            default:
                return .notTCP
            }
        }
        guard position < bytes.count, bytes[position] >> 4 == 6 else { return .notTCP }
        return try inner(.teredo).ipv6(at: position)
    }

    /// AYIYA ("Anything In Anything"): identity and signature lengths, next header.
    func ayiya(at offset: Int) throws(CaptureError) -> DecodedPacket {
        try need(8, from: offset, "AYIYA header")
        let identity = 1 << Int(bytes[offset] >> 4)
        let signature = Int(bytes[offset + 1] >> 4) * 4
        let start = offset + 8 + identity + signature
        try need(start - offset, from: offset, "AYIYA header")
        switch bytes[offset + 3] {
        case 4: return try inner(.ayiya).ipv4(at: start)
        case 41: return try inner(.ayiya).ipv6(at: start)
        default: return .notTCP
        }
    }

    /// MPLS (RFC 3032): labels up to the bottom of the stack, then IP by its
    /// version nibble, or a pseudowire control word and Ethernet (RFC 4448).
    func mpls(at offset: Int) throws(CaptureError) -> DecodedPacket {
        var position = offset
        while true {
            try need(4, from: position, "MPLS label")
            let bottom = bytes[position + 2] & 1 != 0
            position += 4
            if bottom { break }
        }
        try need(1, from: position, "MPLS payload")
        switch bytes[position] >> 4 {
        case 4: return try with(.mpls).ipv4(at: position)
        case 6: return try with(.mpls).ipv6(at: position)
        case 0: return try inner(layers: .mpls).ethernet(at: position + 4)
        default: return .notTCP
        }
    }

    /// IP whose version only its first nibble says; anything else is not TCP.
    func innerIP(at offset: Int) throws(CaptureError) -> DecodedPacket {
        guard offset < bytes.count else { return .notTCP }
        switch bytes[offset] >> 4 {
        case 4: return try ipv4(at: offset)
        case 6: return try ipv6(at: offset)
        default: return .notTCP
        }
    }
}
