import CCompressZlib
import Glibc

/// Gzip-compressed capture files (`.pcap.gz`, as tshark reads and zeek's
/// traces ship), decompressed as a stream so libpcap reads them like any file.
///
/// A thread of its own runs zlib's `gzread` and writes into one end of a
/// socket pair; libpcap reads the other end through stdio. Memory stays
/// bounded (zlib's window, the socket buffer, stdio's buffer) whatever the
/// file's size. Glibc's `fopencookie` would avoid the thread, but Swift's
/// Glibc module is built without `_GNU_SOURCE` and does not declare it.
final class GzipFile: @unchecked Sendable {  // `failure` is written by the thread before it ends, read after join
    /// The decompressed bytes, for `pcap_fopen_offline`, which then owns it.
    let stream: UnsafeMutablePointer<FILE>
    private var thread: JoinableThread?
    private var failure: String?

    /// RFC 1952 §2.3.1: ID1 ID2.
    static func isGzip(_ first: [UInt8]) -> Bool {
        first.count >= 2 && first[0] == 0x1F && first[1] == 0x8B
    }

    /// The first `count` decompressed bytes (fewer at the end), or zlib's
    /// complaint when not even they decompress.
    static func firstBytes(path: String, count: Int) -> Result<[UInt8], GzipDamage> {
        guard let file = gzopen(path, "rb") else { return .failure(GzipDamage(reason: String(cString: strerror(errno)))) }
        defer { gzclose(file) }
        var bytes = [UInt8](repeating: 0, count: count)
        let read = bytes.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
        var code: Int32 = 0
        let message = String(cString: gzerror(file, &code))
        // A stream cut short reads as fewer bytes with Z_BUF_ERROR set, not as -1.
        if read < 0 || (Int(read) < count && code != Z_OK) {
            return .failure(GzipDamage(reason: message))
        }
        return .success(Array(bytes.prefix(Int(read))))
    }

    struct GzipDamage: Error { let reason: String }

    /// Opens `path`; nil with `errno` set when it cannot be.
    init?(path: String) {
        guard let file = gzopen(path, "rb") else { return nil }
        var ends: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0 else {
            gzclose(file)
            return nil
        }
        guard let stream = fdopen(ends[0], "rb") else {
            close(ends[0])
            close(ends[1])
            gzclose(file)
            return nil
        }
        self.stream = stream
        let writeEnd = ends[1]
        let input = Transfer(file)
        thread = JoinableThread { [self] in
            failure = Self.pump(input.value, into: writeEnd)
            gzclose(input.value)
            close(writeEnd)  // the reader sees the end of the file
        }
    }

    /// Waits for the decompressing thread; call after the stream was closed
    /// (an unread rest makes its next write fail, which ends it).
    /// Returns zlib's complaint when the compressed data was damaged.
    func finish() -> String? {
        thread?.join()
        thread = nil
        return failure
    }

    deinit { thread?.join() }

    /// Decompresses until the end, an error, or a reader that went away.
    private static func pump(_ file: gzFile, into socket: Int32) -> String? {
        let size = 64 << 10
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 1)
        defer { buffer.deallocate() }
        while true {
            let read = Int(gzread(file, buffer, UInt32(size)))
            if read <= 0 {
                var code: Int32 = 0
                let message = String(cString: gzerror(file, &code))
                return read < 0 || code != Z_OK ? message : nil
            }
            var sent = 0
            while sent < read {
                // MSG_NOSIGNAL: a reader that stopped early is EPIPE, not SIGPIPE.
                let n = send(socket, buffer + sent, read - sent, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno == EINTR { continue }
                    return nil
                }
                sent += n
            }
        }
    }
}
