import Glibc
import TrafficModel

/// The container of a capture file, as its first four bytes say.
public enum CaptureFileFormat: Sendable, Equatable, CustomStringConvertible {
    /// Classic pcap, microsecond timestamps (magic a1b2c3d4, either byte order).
    case pcap
    /// Classic pcap, nanosecond timestamps (magic a1b23c4d, either byte order).
    case pcapNanosecond
    /// pcapng (Section Header Block type 0a0d0d0a).
    case pcapng

    public var description: String {
        switch self {
        case .pcap: "pcap"
        case .pcapNanosecond: "pcap (nanosecond)"
        case .pcapng: "pcapng"
        }
    }

    enum Magic: Equatable {
        case known(CaptureFileFormat)
        /// gzip-compressed (RFC 1952): the capture is inside.
        case gzip
        /// What the file starts with instead, e.g. "magic 0x48545450 \"HTTP\"".
        case unknown(String)
    }

    /// Identifies a magic number read from the start of a file.
    static func identify(_ first: [UInt8]) -> Magic {
        guard first.count >= 4 else {
            return .unknown(first.isEmpty ? "the file is empty" : "only \(first.count) bytes long")
        }
        if GzipFile.isGzip(first) { return .gzip }
        let value = first[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        switch value {
        case 0xA1B2_C3D4, 0xD4C3_B2A1: return .known(.pcap)
        case 0xA1B2_3C4D, 0x4D3C_B2A1: return .known(.pcapNanosecond)
        case 0x0A0D_0D0A: return .known(.pcapng)
        default:
            let hex = String(value, radix: 16)
            let text = first[0..<4].allSatisfy { $0 >= 0x20 && $0 < 0x7F }
                ? " \"\(String(decoding: first[0..<4], as: UTF8.self))\"" : ""
            return .unknown("magic 0x\(String(repeating: "0", count: 8 - hex.count))\(hex)\(text)")
        }
    }

    /// Reads the first four bytes of `path`, mapping open failures to clear errors.
    static func sniff(path: String) throws(CaptureError) -> Magic {
        guard let file = fopen(path, "rb") else {
            let code = errno
            let reason = "\(path): cannot open: \(String(cString: strerror(code)))"
            throw CaptureError(code == EACCES || code == EPERM ? .permissionDenied : .cannotOpen, reason)
        }
        defer { fclose(file) }
        var first = [UInt8](repeating: 0, count: 4)
        let count = fread(&first, 1, 4, file)
        if count < 4 && ferror(file) != 0 {
            // A directory opens but does not read.
            throw CaptureError(.cannotOpen, "\(path): cannot read: \(String(cString: strerror(errno)))")
        }
        return identify(Array(first.prefix(count)))
    }
}
