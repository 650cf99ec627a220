import Foundation
import TrafficModel

/// TLS key logs a pcapng file carries in Decryption Secrets Blocks (pcapng
/// draft §4.7, block type 0x0000000A; secrets type 0x544C534B "TLSK", an NSS
/// key log), as `editcap --inject-secrets tls,FILE` and Wireshark write them.
/// libpcap skips these blocks, so the file is walked once, block header to
/// block header, reading only the DSB bodies. Secrets stay in memory.
public enum PcapngDecryptionSecrets {
    static let sectionHeader: UInt32 = 0x0A0D_0D0A
    static let decryptionSecrets: UInt32 = 0x0000_000A
    static let tlsKeyLog: UInt32 = 0x544C_534B
    /// A DSB larger than this is not read (a key log of a million connections is ~200 MiB less).
    public static let maxSecretsBytes = 64 << 20

    /// The key-log texts of every TLS DSB in the file; empty for a file that
    /// is not pcapng or has none. A block cut by the end of the file ends the walk.
    public static func tlsKeyLogs(inFile path: String) -> [String] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        var offset: UInt64 = 0
        var bigEndian = false
        var logs: [String] = []
        while true {
            guard let head = try? read(handle, at: offset, count: 8), head.count == 8 else { break }
            let rawType = word(head, 0, bigEndian: false)
            if rawType == sectionHeader {
                // The byte-order magic follows the length: 0x1A2B3C4D in the section's order.
                guard let magic = try? read(handle, at: offset + 8, count: 4), magic.count == 4 else { break }
                bigEndian = magic == [0x1A, 0x2B, 0x3C, 0x4D]
            } else if offset == 0 {
                return []  // not pcapng
            }
            let type = rawType == sectionHeader ? sectionHeader : word(head, 0, bigEndian: bigEndian)
            let length = UInt64(word(head, 4, bigEndian: bigEndian))
            guard length >= 12, length % 4 == 0 else { break }
            if type == decryptionSecrets, length >= 20,
               let body = try? read(handle, at: offset + 8, count: 8), body.count == 8,
               word(body, 0, bigEndian: bigEndian) == tlsKeyLog {
                let size = Int(word(body, 4, bigEndian: bigEndian))
                if size <= maxSecretsBytes, UInt64(size) <= length - 20,
                   let secrets = try? read(handle, at: offset + 16, count: size), secrets.count == size {
                    logs.append(String(decoding: secrets, as: UTF8.self))
                }
            }
            offset += length
        }
        return logs
    }

    private static func read(_ handle: FileHandle, at offset: UInt64, count: Int) throws -> [UInt8] {
        try handle.seek(toOffset: offset)
        return Array(try handle.read(upToCount: count) ?? Data())
    }

    private static func word(_ bytes: [UInt8], _ at: Int, bigEndian: Bool) -> UInt32 {
        let b = bytes[at..<at + 4].map(UInt32.init)
        return bigEndian ? b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3] : b[3] << 24 | b[2] << 16 | b[1] << 8 | b[0]
    }
}
