public import TrafficModel

/// A frame to send (RFC 6455 §5.2), before masking: the mock sends these
/// as they are, Replay masks them (a client always masks, §5.3).
package struct OutboundWebSocketFrame: Hashable, Sendable {
    package var fin: Bool
    /// Set on the first frame of a compressed message only (RFC 7692 §6).
    package var rsv1: Bool
    package var opcode: WebSocketOpcode
    package var payload: ArraySlice<UInt8>

    package init(fin: Bool, rsv1: Bool = false, opcode: WebSocketOpcode, payload: ArraySlice<UInt8>) {
        self.fin = fin
        self.rsv1 = rsv1
        self.opcode = opcode
        self.payload = payload
    }
}

/// Turns a recorded message back into frames: the one framer the mock
/// (server messages) and Replay (client messages) share.
///
/// A data message keeps its recorded fragmentation. When the payload on the
/// wire now has another length than recorded (it was compressed by another
/// zlib, or compression was not agreed this time), the recorded frame count
/// is kept and the bytes are split in the recorded proportions, so a client
/// still sees a fragmented message where the recording had one.
package enum WebSocketFramer {
    /// - Parameters:
    ///   - deflater: compresses messages recorded compressed; nil when
    ///     permessage-deflate was not agreed (they then go uncompressed).
    ///   - maxFrameSize: a data message goes out in frames of at most this
    ///     many payload bytes instead of its recorded fragmentation (the
    ///     mock's `--fault fragment=N`); control frames are never split (§5.5).
    package static func frames(for message: WebSocketMessage, deflater: PerMessageDeflater?, maxFrameSize: Int? = nil) -> [OutboundWebSocketFrame] {
        switch message.opcode {
        case .close:
            return [OutboundWebSocketFrame(fin: true, opcode: .close, payload: closePayload(code: message.closeCode, reason: message.payload.bytes)[...])]
        case .ping, .pong:
            return [OutboundWebSocketFrame(fin: true, opcode: message.opcode, payload: message.payload.bytes[...])]
        case .text, .binary, .continuation:
            // A lone recorded continuation (a capture that began mid-message) goes out as binary.
            let opcode: WebSocketOpcode = message.opcode == .text ? .text : .binary
            var payload = message.payload.bytes
            let compress = message.compressed && deflater != nil
            if compress, let deflater { payload = deflater.compress(payload) }
            let lengths = maxFrameSize.map { limit(payload.count, to: $0) } ?? frameLengths(recorded: message.frames?.map(\.length) ?? [], total: payload.count)
            var frames: [OutboundWebSocketFrame] = []
            frames.reserveCapacity(lengths.count)
            var offset = 0
            for (index, length) in lengths.enumerated() {
                frames.append(OutboundWebSocketFrame(
                    fin: index == lengths.count - 1, rsv1: compress && index == 0,
                    opcode: index == 0 ? opcode : .continuation, payload: payload[offset..<offset + length]
                ))
                offset += length
            }
            return frames
        }
    }

    /// `total` bytes in frames of `size` (the last one shorter); one empty frame for none.
    static func limit(_ total: Int, to size: Int) -> [Int] {
        guard total > 0, size > 0 else { return [total] }
        return stride(from: 0, to: total, by: size).map { min(size, total - $0) }
    }

    /// `text` cut at a character boundary to fit a close frame's reason
    /// (125 payload bytes less the 2-byte code, RFC 6455 §5.5).
    package static func closeReason(fitting text: String) -> String {
        var reason = text
        while reason.utf8.count > 123 { reason.removeLast() }
        return reason
    }

    /// A close frame's body (RFC 6455 §5.5.1): the code in network order, then
    /// the reason; empty without a code. Codes outside 16 bits are clamped.
    package static func closePayload(code: Int?, reason: [UInt8]) -> [UInt8] {
        guard let code else { return [] }
        let value = UInt16(clamping: code)
        return [UInt8(value >> 8), UInt8(truncatingIfNeeded: value)] + reason
    }

    /// The recorded lengths when they add up to `total`; otherwise as many
    /// frames as recorded, cut at the recorded proportions. One frame when
    /// nothing was recorded.
    package static func frameLengths(recorded: [Int], total: Int) -> [Int] {
        guard recorded.count > 1 else { return [total] }
        let recordedTotal = recorded.reduce(0, +)
        if recordedTotal == total { return recorded }
        var lengths: [Int] = []
        lengths.reserveCapacity(recorded.count)
        var cumulative = 0
        var previousCut = 0
        for (index, length) in recorded.enumerated() {
            cumulative += length
            let cut: Int
            if index == recorded.count - 1 {
                cut = total
            } else if recordedTotal == 0 {
                cut = 0
            } else {
                cut = min(total, cumulative * total / recordedTotal)
            }
            lengths.append(cut - previousCut)
            previousCut = cut
        }
        return lengths
    }
}
