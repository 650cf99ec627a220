import CCompressZlib

/// Raw-deflate compression as a permessage-deflate sender does it (RFC 7692
/// §7.2.1): each message is sync-flushed and its 00 00 ff ff tail removed.
/// Deterministic: the same messages in the same order with the same
/// parameters give the same bytes. A reference type owning a zlib stream:
/// keep it on one thread (a channel's event loop), do not share it.
public final class PerMessageDeflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private let noContextTakeover: Bool

    /// - Parameters:
    ///   - windowBits: the LZ77 window the peer accepted (`*_max_window_bits`), 9...15;
    ///     zlib cannot deflate raw streams with a window of 8 (it silently uses 9).
    ///   - noContextTakeover: reset the window after each message.
    ///   - level: zlib compression level, 0...9, or -1 for zlib's default (6).
    public init(windowBits: Int = 15, noContextTakeover: Bool = false, level: Int = -1) {
        self.noContextTakeover = noContextTakeover
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // zlib raises a raw deflate window of 8 to 9 itself.
        let status = CCompressZlib_deflateInit2(stream, Int32(level), Z_DEFLATED, -Int32(max(windowBits, 9)), 8, Z_DEFAULT_STRATEGY)
        precondition(status == Z_OK, "zlib deflateInit2 failed (\(status))")
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// The compressed payload of one message, ready for frames with RSV1 set.
    public func compress(_ message: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        var input = message
        input.withUnsafeMutableBufferPointer { inputBuffer in
            stream.pointee.next_in = inputBuffer.baseAddress
            stream.pointee.avail_in = UInt32(inputBuffer.count)
            repeat {
                let produced = chunk.withUnsafeMutableBufferPointer { chunkBuffer in
                    stream.pointee.next_out = chunkBuffer.baseAddress
                    stream.pointee.avail_out = UInt32(chunkBuffer.count)
                    let status = deflate(stream, Z_SYNC_FLUSH)
                    precondition(status == Z_OK || status == Z_BUF_ERROR, "zlib deflate failed (\(status))")
                    return chunkBuffer.count - Int(stream.pointee.avail_out)
                }
                output.append(contentsOf: chunk[0..<produced])
            } while stream.pointee.avail_out == 0
            stream.pointee.next_in = nil
        }
        if output.suffix(4) == [0x00, 0x00, 0xFF, 0xFF] {
            output.removeLast(4)
        }
        if noContextTakeover {
            deflateReset(stream)
        }
        return output
    }
}
