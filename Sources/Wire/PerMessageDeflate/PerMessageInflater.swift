import CCompressZlib

/// Raw-deflate decompression of permessage-deflate messages (RFC 7692 §7.2.2)
/// for one direction, keeping the LZ77 window between messages unless the
/// sender does not take its context over.
///
/// zlib is called directly: CompressNIO's `ZlibDecompressor` cannot bound the
/// output of one call without failing, and hides the stream needed to copy it.
/// Copy-on-write over the zlib stream keeps this a value type.
public struct PerMessageInflater: Sendable {
    public enum Outcome: Hashable, Sendable {
        case complete
        /// Output reached `limit`; the rest was not inflated.
        case overLimit
        /// zlib rejected the data; the output holds what inflated before.
        case corrupt(String)
    }

    private var stream: ZlibInflateStream
    public let resetsAfterEachMessage: Bool

    public init(noContextTakeover: Bool) {
        // Inflating with the largest window accepts every window a peer may
        // have negotiated (8...15), and zlib refuses raw inflate windows < 9.
        stream = ZlibInflateStream()
        resetsAfterEachMessage = noContextTakeover
    }

    /// Inflates one message's compressed payload (its frames concatenated,
    /// without the 00 00 ff ff tail the sender removed).
    public mutating func inflate(_ compressed: [UInt8], limit: Int) -> (output: [UInt8], outcome: Outcome) {
        if !isKnownUniquelyReferenced(&stream) {
            stream = stream.copy()
        }
        let result = stream.inflate(compressed + [0x00, 0x00, 0xFF, 0xFF], limit: limit)
        // After a failure or a cut the window no longer matches the sender's,
        // so start clean; later messages that refer back will fail visibly.
        if resetsAfterEachMessage || result.outcome != .complete {
            stream.reset()
        }
        return result
    }
}

/// Owns one zlib raw-inflate stream. Only mutated through a uniquely
/// referenced `PerMessageInflater`, which is what makes it safe to send.
package final class ZlibInflateStream: @unchecked Sendable {
    private let stream: UnsafeMutablePointer<z_stream>

    package init() {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = CCompressZlib_inflateInit2(stream, -15)
        precondition(status == Z_OK, "zlib inflateInit2 failed (\(status)): out of memory")
    }

    private init(copying source: UnsafeMutablePointer<z_stream>) {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = inflateCopy(stream, source)
        precondition(status == Z_OK, "zlib inflateCopy failed (\(status)): out of memory")
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    package func copy() -> ZlibInflateStream { ZlibInflateStream(copying: stream) }

    package func reset() {
        inflateReset(stream)
    }

    package func inflate(_ input: [UInt8], limit: Int) -> (output: [UInt8], outcome: PerMessageInflater.Outcome) {
        var output: [UInt8] = []
        let chunkSize = 64 << 10
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var outcome = PerMessageInflater.Outcome.complete
        input.withUnsafeBufferPointer { inputBuffer in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: inputBuffer.baseAddress)
            stream.pointee.avail_in = UInt32(inputBuffer.count)
            defer {
                stream.pointee.next_in = nil
                stream.pointee.avail_in = 0
            }
            while true {
                // Never ask for more than fits under the limit, plus one byte
                // to tell "exactly at the limit" from "over it".
                let room = min(chunkSize, limit - output.count + 1)
                let (status, produced) = chunk.withUnsafeMutableBufferPointer { chunkBuffer in
                    stream.pointee.next_out = chunkBuffer.baseAddress
                    stream.pointee.avail_out = UInt32(room)
                    let status = CCompressZlib.inflate(stream, Z_SYNC_FLUSH)
                    return (status, room - Int(stream.pointee.avail_out))
                }
                let kept = min(produced, limit - output.count)
                if output.count + kept > output.capacity {
                    // Grow at most to the limit: a bomb must not make the
                    // array double past it.
                    output.reserveCapacity(min(limit, max(output.capacity * 2, output.count + kept)))
                }
                output.append(contentsOf: chunk[0..<kept])
                if produced > kept {
                    outcome = .overLimit
                    return
                }
                switch status {
                case Z_OK:
                    if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return }
                case Z_BUF_ERROR:
                    // No progress possible: all input used (the normal end of
                    // a sync-flushed message).
                    return
                case Z_STREAM_END:
                    // The sender closed the deflate stream (BFINAL); RFC 7692
                    // §7.2.3 allows it. Keep the window for the next message.
                    restartKeepingWindow()
                    return
                default:
                    let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    outcome = .corrupt(message)
                    return
                }
            }
        }
        return (output, outcome)
    }

    private func restartKeepingWindow() {
        var window = [UInt8](repeating: 0, count: 1 << 15)
        var length: UInt32 = 0
        let status = window.withUnsafeMutableBufferPointer { inflateGetDictionary(stream, $0.baseAddress, &length) }
        inflateReset(stream)
        if status == Z_OK && length > 0 {
            _ = window.withUnsafeBufferPointer { inflateSetDictionary(stream, $0.baseAddress, length) }
        }
    }
}
