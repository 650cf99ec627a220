public import Capture
public import TrafficModel

/// Builds the packets of whole TCP conversations for fixtures and the
/// benchmark generator: handshake, data cut into MSS-sized segments with
/// their ACKs' sequence numbers right, and an orderly FIN close. Pure.
public struct SyntheticConversation: Sendable {
    public var client: (address: [UInt8], port: UInt16)
    public var server: (address: [UInt8], port: UInt16)
    public var mss: Int
    private var clientSeq: UInt32
    private var serverSeq: UInt32
    public private(set) var packets: [CapturedPacket] = []
    public private(set) var clock: Timestamp

    public init(client: ([UInt8], UInt16), server: ([UInt8], UInt16), start: Timestamp, mss: Int = 1448, isn: (UInt32, UInt32) = (1000, 5000)) {
        self.client = (client.0, client.1)
        self.server = (server.0, server.1)
        self.mss = mss
        self.clock = start
        clientSeq = isn.0
        serverSeq = isn.1
    }

    private mutating func emit(from direction: Direction, flags: TCPFlags, payload: [UInt8] = [], advance: Double = 0.0001) {
        clock = clock.adding(seconds: advance)
        let (src, dst) = direction == .client ? (client, server) : (server, client)
        let seq = direction == .client ? clientSeq : serverSeq
        let ack = direction == .client ? serverSeq : clientSeq
        let frame = SyntheticPacket.ethernetIPv4TCP(
            src: src.address, dst: dst.address, srcPort: src.port, dstPort: dst.port,
            seq: seq, ack: flags.contains(.ack) ? ack : 0, flags: flags, payload: payload
        )
        packets.append(CapturedPacket(timestamp: clock, data: frame, number: packets.count + 1))
        var consumed = UInt32(payload.count)
        if flags.contains(.syn) || flags.contains(.fin) { consumed &+= 1 }
        if direction == .client { clientSeq &+= consumed } else { serverSeq &+= consumed }
    }

    public mutating func open() {
        emit(from: .client, flags: [.syn])
        emit(from: .server, flags: [.syn, .ack])
        emit(from: .client, flags: [.ack])
    }

    /// Sends `bytes` in MSS-sized segments, then the peer's ACK.
    public mutating func send(_ bytes: [UInt8], from direction: Direction, after delay: Double = 0.001) {
        var offset = 0
        var first = true
        while offset < bytes.count {
            let end = min(bytes.count, offset + mss)
            emit(from: direction, flags: [.ack, .psh], payload: Array(bytes[offset..<end]), advance: first ? delay : 0.00001)
            first = false
            offset = end
        }
        emit(from: direction.reversed, flags: [.ack])
    }

    /// FIN from `direction`, then from the other side, each acknowledged.
    public mutating func close(by direction: Direction = .client) {
        emit(from: direction, flags: [.fin, .ack])
        emit(from: direction.reversed, flags: [.fin, .ack])
        emit(from: direction, flags: [.ack])
    }
}

/// Encodes WebSocket frames (RFC 6455 §5.2) for synthetic captures.
public enum SyntheticWebSocket {
    public static func frame(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true, rsv: UInt8 = 0, mask: UInt32? = nil) -> [UInt8] {
        var out: [UInt8] = [(fin ? 0x80 : 0) | (rsv & 7) << 4 | opcode.code]
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        switch payload.count {
        case 0..<126: out.append(maskBit | UInt8(payload.count))
        case 126...0xFFFF: out += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        default:
            out.append(maskBit | 127)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(UInt64(payload.count) >> UInt64(shift) & 0xFF)) }
        }
        guard let mask else { return out + payload }
        let key = [UInt8(mask >> 24), UInt8(mask >> 16 & 0xFF), UInt8(mask >> 8 & 0xFF), UInt8(mask & 0xFF)]
        out += key
        for (i, byte) in payload.enumerated() { out.append(byte ^ key[i & 3]) }
        return out
    }

    public static func close(code: UInt16, reason: String, mask: UInt32? = nil) -> [UInt8] {
        frame(.close, [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8), mask: mask)
    }
}
