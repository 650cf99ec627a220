import CPcap
import Glibc
import TrafficModel

/// Reads a pcap or pcapng file (libpcap tells them apart by content) one packet at a time.
///
/// Not thread-safe: one owner calls `next()`. The handle is closed in deinit.
public final class PcapFileSource: PacketSource {
    /// Default bound on one record's captured length: libpcap's own maximum snaplen.
    public static let defaultMaximumCapturedLength = 262_144
    /// The stdio buffer libpcap reads the file through.
    static let readBufferSize = 1 << 20

    public let linkType: LinkType
    public let name: String
    /// Which container the file is, from its magic number.
    public let format: CaptureFileFormat
    /// True when the file is gzip-compressed and read through zlib.
    public var isCompressed: Bool { gzip != nil }
    private let gzip: GzipFile?

    private let handle: OpaquePointer
    private let readBuffer: UnsafeMutablePointer<CChar>
    private var filter: bpf_program?
    private let maximumCapturedLength: Int
    private var recordsRead = 0
    /// Where the next record starts in a classic pcap file: the 24-byte file
    /// header, then a 16-byte header and the captured bytes per record.
    /// Counted rather than asked of the FILE (`ftell` costs a syscall per packet).
    private var nextRecordOffset = 24
    /// False for a magic libpcap accepts but we do not know: its record
    /// headers may be longer, so no offset is claimed.
    private let countsOffsets: Bool
    private var finished = false

    /// Opens `path`. `filter` is a BPF expression (tcpdump syntax) applied to every record.
    /// `maximumCapturedLength` rejects records claiming more bytes than any real capture
    /// holds, which only a damaged file does.
    public init(
        path: String, filter: String? = nil, maximumCapturedLength: Int = PcapFileSource.defaultMaximumCapturedLength
    ) throws(CaptureError) {
        name = path
        self.maximumCapturedLength = maximumCapturedLength
        // Sniff the magic first: libpcap's "unknown file format" does not say what the file is.
        var magic = try CaptureFileFormat.sniff(path: path)
        var gzip: GzipFile?
        if magic == .gzip {
            switch GzipFile.firstBytes(path: path, count: 4) {
            case .success(let first):
                magic = CaptureFileFormat.identify(first)
                if magic == .gzip { magic = .unknown("a gzip file inside a gzip file") }
                if case .unknown(let inside) = magic { magic = .unknown("gzip-compressed, and inside: \(inside)") }
            case .failure(let damage):
                magic = .unknown("gzip-compressed, but the data does not decompress: \(damage.reason)")
            }
            guard let opened = GzipFile(path: path) else {
                throw CaptureError(.cannotOpen, "\(path): cannot open: \(String(cString: strerror(errno)))", location: ErrorLocation(file: path))
            }
            gzip = opened
        }
        // libpcap freads each record through stdio's 4 KiB buffer: a read(2) per 4 KiB.
        // A 1 MiB buffer, set before the first read, cuts that to one per MiB. glibc
        // ignores the size unless given the buffer, which must outlive the FILE.
        let readBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Self.readBufferSize)
        let (opened, message) = Pcap.withErrorBuffer { errbuf -> OpaquePointer? in
            guard let file = gzip?.stream ?? fopen(path, "rb") else {
                // libpcap's own wording for this case.
                let reason = "\(path): \(String(cString: strerror(errno)))"
                _ = reason.withCString { strncpy(errbuf, $0, Int(PCAP_ERRBUF_SIZE) - 1) }
                return nil
            }
            setvbuf(file, readBuffer, _IOFBF, Self.readBufferSize)
            let handle = pcap_fopen_offline_with_tstamp_precision(file, UInt32(PCAP_TSTAMP_PRECISION_MICRO), errbuf)
            if handle == nil { fclose(file) }  // on success libpcap owns the FILE and closes it
            return handle
        }
        guard let handle = opened else {
            readBuffer.deallocate()
            switch magic {
            case .known(let format):
                throw CaptureError(.cannotOpen, "\(path): cannot open \(format) file: \(message)", location: ErrorLocation(file: path))
            case .unknown(let description):
                throw CaptureError(.notACapture, "\(path): not a pcap or pcapng file (\(description))", location: ErrorLocation(file: path))
            case .gzip:
                preconditionFailure("a gzip magic was replaced by what the file holds")
            }
        }
        // Everything that can fail runs before `handle` is stored: a throw after full
        // initialization would run deinit and close the handle a second time.
        do throws(CaptureError) {
            linkType = try Pcap.linkType(of: handle, name: path)
            if let filter { self.filter = try Pcap.compile(filter, for: handle, name: path) }
        } catch {
            pcap_close(handle)
            readBuffer.deallocate()
            throw error
        }
        switch magic {
        case .known(let format):
            self.format = format
            // Offsets into the decompressed bytes would not help find a record in the file.
            countsOffsets = gzip == nil
        case .unknown, .gzip:
            // libpcap accepted a magic we do not know (a future format): report it as pcap.
            self.format = .pcap
            countsOffsets = false
        }
        self.handle = handle
        self.readBuffer = readBuffer
        self.gzip = gzip
    }

    deinit {
        if filter != nil { pcap_freecode(&filter!) }
        pcap_close(handle)  // closes the FILE, which used readBuffer until then
        readBuffer.deallocate()
        _ = gzip?.finish()
    }

    /// The next packet that passes the filter; nil at the end of the file and
    /// after any error (the error is thrown once).
    public func next() throws(CaptureError) -> CapturedPacket? {
        while !finished {
            let offset = nextRecordOffset
            var header: UnsafeMutablePointer<pcap_pkthdr>?
            var data: UnsafePointer<UInt8>?
            let status = pcap_next_ex(handle, &header, &data)
            switch status {
            case 1:
                recordsRead += 1
                guard let header, let data else { continue }
                let captured = Int(header.pointee.caplen)
                nextRecordOffset += 16 + captured
                guard captured <= maximumCapturedLength else {
                    finished = true
                    throw CaptureError(
                        .readError,
                        "\(name): packet \(recordsRead)\(at(offset)): captured length \(captured) exceeds "
                            + "the limit of \(maximumCapturedLength) bytes; the file is damaged",
                        location: ErrorLocation(file: name, offset: offset))
                }
                if var program = filter, pcap_offline_filter(&program, header, data) == 0 { continue }
                return Pcap.packet(header, data, number: recordsRead)
            case PCAP_ERROR_BREAK:  // offline: end of file
                finished = true
                if let problem = gzip?.finish() {
                    throw CaptureError(
                        .truncatedFile, "\(name): the gzip data ends early or is damaged after packet \(recordsRead): \(problem)",
                        location: ErrorLocation(file: name))
                }
            default:
                finished = true
                var message = Pcap.lastError(handle)
                if let problem = gzip?.finish() { message += " (gzip: \(problem))" }
                let packet = recordsRead + 1
                // libpcap says "truncated dump file; tried to read N ... bytes, only got M".
                if message.contains("truncated") {
                    throw CaptureError(
                        .truncatedFile, "\(name): file ends inside packet \(packet)\(at(offset)): \(message)",
                        location: ErrorLocation(file: name, offset: offset))
                }
                throw CaptureError(
                    .readError, "\(name): cannot read packet \(packet)\(at(offset)): \(message)",
                    location: ErrorLocation(file: name, offset: offset))
            }
        }
        return nil
    }

    /// Files carry no kernel counters.
    public func statistics() -> PacketSourceStatistics? { nil }

    /// " (record at byte offset N)" for classic pcap; pcapng blocks interleave
    /// non-packet blocks, so there the packet number alone is the useful pointer.
    private func at(_ offset: Int) -> String {
        switch format {
        case .pcap, .pcapNanosecond: countsOffsets ? " (record at byte offset \(offset))" : ""
        case .pcapng: ""
        }
    }
}
