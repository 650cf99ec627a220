/// Splits one direction of an upgraded connection (the bytes after the 101)
/// into WebSocket frames (RFC 6455 §5.2).
///
/// Feed bytes with `append`, then call `nextFrame` until it returns nil
/// ("need more bytes"). A header that cannot be followed (a 64-bit length
/// with its top bit set, a length over the limit) throws; the error is sticky
/// because the frame boundary is lost from there on. Protocol breaches that do
/// not break framing (unmasked client frames, bad opcodes, non-minimal
/// lengths) are left to `WebSocketMessageAssembler` to report.
public struct WebSocketFrameParser: Sendable {
    public let limits: WebSocketLimits

    /// Unparsed bytes live in `storage[readIndex...]`; the consumed prefix is
    /// dropped occasionally rather than on every frame, so a stream of small
    /// frames is not copied over and over.
    private var storage: [UInt8] = []
    private var readIndex = 0
    /// Stream offset of `storage[0]`.
    private var storageBase = 0
    /// A frame whose header has been read but whose payload was still
    /// arriving. Later bytes are unmasked straight into its payload instead
    /// of being buffered raw and copied out again, which would copy every
    /// byte of a frame that spans several packets twice. While it is
    /// unfinished, `storage` is empty.
    private var partial: PartialFrame?
    private var failure: WireError?

    public init(limits: WebSocketLimits = .default) {
        self.limits = limits
    }

    /// Stream offset of the first byte not yet returned in a frame.
    public var streamOffset: Int { partial?.frame.startOffset ?? storageBase + readIndex }

    /// Bytes received but not yet part of a returned frame, as they were on
    /// the wire: a partial frame at the end of a capture, or the bytes from
    /// the failing header on after an error. Keep them in the anomaly so
    /// nothing on the wire is lost.
    public var bufferedBytes: ArraySlice<UInt8> {
        guard let partial else { return storage[readIndex...] }
        return (partial.wireBytes + storage[readIndex...])[...]
    }

    /// Bytes appended after a parse error; they are not kept.
    public private(set) var bytesDroppedAfterError = 0

    public mutating func append(_ bytes: some Collection<UInt8>) {
        guard failure == nil else {
            bytesDroppedAfterError += bytes.count
            return
        }
        if partial != nil {
            let taken = bytes.withContiguousStorageIfAvailable { appendToPartialFrame(UnsafeRawBufferPointer($0)) }
                ?? Array(bytes).withUnsafeBytes { appendToPartialFrame($0) }
            storage.append(contentsOf: bytes.dropFirst(taken))
        } else {
            storage.append(contentsOf: bytes)
        }
    }

    /// Gives the partial frame the bytes it still lacks; returns how many it took.
    private mutating func appendToPartialFrame(_ bytes: UnsafeRawBufferPointer) -> Int {
        let count = min(partial!.missing, bytes.count)
        partial!.appendPayload(UnsafeRawBufferPointer(rebasing: bytes[0..<count]))
        storageBase += count
        return count
    }

    /// The next complete frame, or nil when more bytes are needed.
    public mutating func nextFrame() throws(WireError) -> WebSocketFrame? {
        if let failure { throw failure }
        if let pending = partial {
            guard pending.missing == 0 else { return nil }
            partial = nil
            return pending.frame
        }
        let available = storage.count - readIndex
        guard available >= 2 else { return nil }
        let start = readIndex
        let first = storage[start]
        let second = storage[start + 1]
        let masked = second & 0x80 != 0
        var headerLength = 2
        var length = UInt64(second & 0x7F)
        var nonMinimal = false
        switch second & 0x7F {
        case 126:
            headerLength += 2
            guard available >= headerLength else { return nil }
            length = readBigEndian(at: start + 2, count: 2)
            nonMinimal = length < 126
        case 127:
            headerLength += 8
            guard available >= headerLength else { return nil }
            length = readBigEndian(at: start + 2, count: 8)
            guard length & (1 << 63) == 0 else {
                return try fail(.lengthTopBitSet, reason: "64-bit payload length \(length) has its most significant bit set (RFC 6455 §5.2)")
            }
            nonMinimal = length <= 0xFFFF
        default:
            break
        }
        // Checked before waiting for the payload, so a header claiming 2^62
        // bytes fails at once instead of buffering the rest of the stream.
        guard length <= UInt64(limits.maxFramePayload) else {
            return try fail(
                .framePayloadOverLimit,
                reason: "frame declares a \(length)-byte payload, over the \(limits.maxFramePayload)-byte limit (WebSocketLimits.maxFramePayload)"
            )
        }
        var maskingKey: UInt32?
        if masked {
            guard available >= headerLength + 4 else { return nil }
            maskingKey = UInt32(truncatingIfNeeded: readBigEndian(at: start + headerLength, count: 4))
            headerLength += 4
        }
        let payloadLength = Int(length)
        var frame = WebSocketFrame(
            fin: first & 0x80 != 0,
            rsv: (first >> 4) & 0x7,
            opcodeCode: first & 0x0F,
            masked: masked,
            maskingKey: maskingKey,
            payload: [],
            nonMinimalLength: nonMinimal,
            startOffset: storageBase + start,
            endOffset: storageBase + start + headerLength + payloadLength
        )
        guard available - headerLength >= payloadLength else {
            startPartialFrame(frame, headerLength: headerLength)
            return nil
        }
        frame.payload = copyPayload(from: start + headerLength, count: payloadLength, maskingKey: maskingKey)
        consume(headerLength + payloadLength)
        return frame
    }

    /// Moves a frame whose payload has only partly arrived out of `storage`
    /// (which then holds nothing) into `partial`.
    private mutating func startPartialFrame(_ frame: WebSocketFrame, headerLength: Int) {
        let header = Array(storage[readIndex..<(readIndex + headerLength)])
        var pending = PartialFrame(frame: frame, header: header)
        storage.withUnsafeBytes { pending.appendPayload(UnsafeRawBufferPointer(rebasing: $0[(readIndex + headerLength)...])) }
        consume(storage.count - readIndex)
        partial = pending
    }

    private mutating func fail(_ code: WireError.Code, reason: String) throws(WireError) -> WebSocketFrame? {
        let error = WireError(code, offset: streamOffset, reason: reason)
        failure = error
        throw error
    }

    private func readBigEndian(at index: Int, count: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in index..<(index + count) {
            value = value << 8 | UInt64(storage[i])
        }
        return value
    }

    private func copyPayload(from index: Int, count: Int, maskingKey: UInt32?) -> [UInt8] {
        guard count > 0 else { return [] }
        return [UInt8](unsafeUninitializedCapacity: count) { destination, initialized in
            storage.withUnsafeBytes { source in
                let from = UnsafeRawPointer(source.baseAddress!) + index
                let to = UnsafeMutableRawPointer(destination.baseAddress!)
                if let maskingKey {
                    WebSocketFrameParser.unmask(from: from, to: to, count: count, key: maskingKey)
                } else {
                    to.copyMemory(from: from, byteCount: count)
                }
            }
            initialized = count
        }
    }

    /// XORs eight bytes at a time: this runs over every byte a client sends.
    /// `key` applies from the first byte on (see `PartialFrame` for a
    /// payload unmasked in pieces).
    package static func unmask(from: UnsafeRawPointer, to: UnsafeMutableRawPointer, count: Int, key: UInt32) {
        let keyBytes: [UInt8] = [UInt8(key >> 24), UInt8(truncatingIfNeeded: key >> 16), UInt8(truncatingIfNeeded: key >> 8), UInt8(truncatingIfNeeded: key)]
        // The key repeated twice in memory order, so the XOR is independent of
        // the machine's byte order.
        var key64: UInt64 = 0
        withUnsafeMutableBytes(of: &key64) { bytes in
            for i in 0..<8 { bytes[i] = keyBytes[i & 3] }
        }
        var i = 0
        while i + 8 <= count {
            let word = from.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            to.storeBytes(of: word ^ key64, toByteOffset: i, as: UInt64.self)
            i += 8
        }
        while i < count {
            to.storeBytes(of: from.load(fromByteOffset: i, as: UInt8.self) ^ keyBytes[i & 3], toByteOffset: i, as: UInt8.self)
            i += 1
        }
    }

    private mutating func consume(_ byteCount: Int) {
        readIndex += byteCount
        if readIndex == storage.count {
            storageBase += readIndex
            // Keep a modest buffer for the next frames; let a huge one go.
            storage.removeAll(keepingCapacity: storage.capacity <= 1 << 20)
            readIndex = 0
        } else if readIndex >= 64 << 10 && readIndex >= storage.count / 2 {
            storageBase += readIndex
            storage.removeFirst(readIndex)
            readIndex = 0
        }
    }
}
