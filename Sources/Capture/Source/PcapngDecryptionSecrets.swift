import CCompressZlib
import Foundation
import TrafficModel

/// TLS key logs a pcapng file carries in Decryption Secrets Blocks (pcapng
/// draft §4.7, block type 0x0000000A; secrets type 0x544C534B "TLSK", an NSS
/// key log), as `editcap --inject-secrets tls,FILE` and Wireshark write them.
/// libpcap skips these blocks, so the file is walked once, block header to
/// block header, reading only the DSB bodies. A gzip-compressed pcapng
/// (`.pcapng.gz`) is walked through zlib the same way: other blocks are
/// decompressed and dropped, never held. Secrets stay in memory.
public enum PcapngDecryptionSecrets {
    static let sectionHeader: UInt32 = 0x0A0D_0D0A
    static let decryptionSecrets: UInt32 = 0x0000_000A
    static let tlsKeyLog: UInt32 = 0x544C_534B
    /// A DSB larger than this is not read (a key log of a million connections is ~200 MiB less).
    public static let maxSecretsBytes = 64 << 20

    /// The key-log texts of every TLS DSB in the file; empty for a file that
    /// is not pcapng (plain or gzip-compressed) or has none. A block cut by
    /// the end of the file, or damaged compressed data, ends the walk.
    public static func tlsKeyLogs(inFile path: String) -> [String] {
        guard let magic = try? CaptureFileFormat.sniff(path: path) else { return [] }
        switch magic {
        case .known(.pcapng):
            guard let file = PlainBlockFile(path: path) else { return [] }
            return tlsKeyLogs(in: file)
        case .gzip:
            guard let file = GzipBlockFile(path: path) else { return [] }
            return tlsKeyLogs(in: file)
        case .known, .unknown:
            return []
        }
    }

    /// The walk itself, over any file read front to back.
    static func tlsKeyLogs(in file: some BlockFile) -> [String] {
        var bigEndian = false
        var logs: [String] = []
        var first = true
        while true {
            guard let head = file.read(8), head.count == 8 else { break }
            let rawType = word(head, 0, bigEndian: false)
            var consumed: UInt64 = 8
            if rawType == sectionHeader {
                // The byte-order magic follows the length: 0x1A2B3C4D in the section's order.
                guard let magic = file.read(4), magic.count == 4 else { break }
                bigEndian = magic == [0x1A, 0x2B, 0x3C, 0x4D]
                consumed += 4
            } else if first {
                return []  // not pcapng
            }
            first = false
            let type = rawType == sectionHeader ? sectionHeader : word(head, 0, bigEndian: bigEndian)
            let length = UInt64(word(head, 4, bigEndian: bigEndian))
            guard length >= 12, length % 4 == 0, length >= consumed else { break }
            if type == decryptionSecrets, length >= 20 {
                guard let body = file.read(8), body.count == 8 else { break }
                consumed += 8
                let size = Int(word(body, 4, bigEndian: bigEndian))
                if word(body, 0, bigEndian: bigEndian) == tlsKeyLog, size <= maxSecretsBytes, UInt64(size) <= length - 20 {
                    guard let secrets = file.read(size), secrets.count == size else { break }
                    consumed += UInt64(size)
                    logs.append(String(decoding: secrets, as: UTF8.self))
                }
            }
            guard file.skip(length - consumed) else { break }
        }
        return logs
    }

    static func word(_ bytes: [UInt8], _ at: Int, bigEndian: Bool) -> UInt32 {
        let b = bytes[at..<at + 4].map(UInt32.init)
        return bigEndian ? b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3] : b[3] << 24 | b[2] << 16 | b[1] << 8 | b[0]
    }
}

/// A capture file read front to back: `read` returns fewer bytes at the end,
/// nil on an error; `skip` is false when the file ends first.
protocol BlockFile {
    func read(_ count: Int) -> [UInt8]?
    func skip(_ count: UInt64) -> Bool
}

/// An uncompressed file: skipping is a seek.
final class PlainBlockFile: BlockFile {
    private let handle: FileHandle
    private var offset: UInt64 = 0
    private let size: UInt64

    init?(path: String) {
        guard let handle = FileHandle(forReadingAtPath: path), let size = try? handle.seekToEnd() else { return nil }
        self.handle = handle
        self.size = size
    }

    deinit { try? handle.close() }

    func read(_ count: Int) -> [UInt8]? {
        guard (try? handle.seek(toOffset: offset)) != nil, let data = try? handle.read(upToCount: count) else { return nil }
        offset += UInt64(data.count)
        return Array(data)
    }

    func skip(_ count: UInt64) -> Bool {
        guard count <= size - min(offset, size) else { return false }
        offset += count
        return true
    }
}

/// A gzip-compressed file through zlib: skipping decompresses and drops, in
/// 64 KiB steps (gzseek would do the same, with less to say on damage).
final class GzipBlockFile: BlockFile {
    private let file: gzFile
    private var scratch = [UInt8](repeating: 0, count: 64 << 10)

    init?(path: String) {
        guard let file = gzopen(path, "rb") else { return nil }
        self.file = file
    }

    deinit { gzclose(file) }

    func read(_ count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = bytes.withUnsafeMutableBytes { gzread(file, $0.baseAddress! + filled, UInt32(min(count - filled, Int(Int32.max)))) }
            if n < 0 { return nil }
            if n == 0 { break }
            filled += Int(n)
        }
        return Array(bytes.prefix(filled))
    }

    func skip(_ count: UInt64) -> Bool {
        var left = count
        while left > 0 {
            let step = Int(min(left, UInt64(scratch.count)))
            let n = scratch.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32(step)) }
            if n <= 0 { return false }
            left -= UInt64(n)
        }
        return true
    }
}
