import CCompressZlib

/// Raw-deflate compression as a permessage-deflate sender does it (RFC 7692
/// §7.2.1): each message is sync-flushed and its 00 00 ff ff tail removed.
/// Used to build test traffic; a reference type, not for sharing.
final class PerMessageDeflater {
    private let stream: UnsafeMutablePointer<z_stream>
    private let noContextTakeover: Bool

    init(windowBits: Int = 15, noContextTakeover: Bool = false, level: Int32 = Z_DEFAULT_COMPRESSION) {
        self.noContextTakeover = noContextTakeover
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        // zlib raises a raw deflate window of 8 to 9 itself.
        let status = CCompressZlib_deflateInit2(stream, level, Z_DEFLATED, -Int32(max(windowBits, 9)), 8, Z_DEFAULT_STRATEGY)
        precondition(status == Z_OK, "zlib deflateInit2 failed (\(status))")
    }

    deinit {
        deflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    func compress(_ message: [UInt8]) -> [UInt8] {
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
