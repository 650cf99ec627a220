import CPcap
import TrafficModel
#if canImport(Glibc)
import Glibc
#endif

/// Small helpers shared by the libpcap-backed sources.
enum Pcap {
    /// Calls `body` with a PCAP_ERRBUF_SIZE buffer; returns its result and the message left in it.
    static func withErrorBuffer<T>(_ body: (UnsafeMutablePointer<CChar>) -> T) -> (T, String) {
        var buffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let result = buffer.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
        return (result, String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    /// The handle's last error message.
    static func lastError(_ handle: OpaquePointer) -> String {
        String(cString: pcap_geterr(handle))
    }

    /// Compiles `filter` for `handle`. The caller owns the program (`pcap_freecode`).
    static func compile(
        _ filter: String, for handle: OpaquePointer, name: String
    ) throws(CaptureError) -> bpf_program {
        var program = bpf_program()
        // Netmask unknown: only "ip broadcast" needs it, and it is not worth a lookup.
        guard pcap_compile(handle, &program, filter, 1, PCAP_NETMASK_UNKNOWN) == 0 else {
            throw CaptureError(.badFilter, "\(name): bad BPF filter '\(filter)': \(lastError(handle))")
        }
        return program
    }

    /// Copies a record out of libpcap's buffer, which the next read reuses.
    static func packet(
        _ header: UnsafePointer<pcap_pkthdr>, _ data: UnsafePointer<UInt8>, number: Int
    ) -> CapturedPacket {
        let h = header.pointee
        let captured = Int(h.caplen)
        let micros = Int64(h.ts.tv_sec) * 1_000_000 + Int64(h.ts.tv_usec)
        return CapturedPacket(
            timestamp: Timestamp(microseconds: micros), capturedLength: captured, wireLength: Int(h.len),
            data: [UInt8](UnsafeBufferPointer(start: data, count: captured)), number: number)
    }

    static func linkType(of handle: OpaquePointer, name: String) throws(CaptureError) -> LinkType {
        do {
            return try LinkType(dlt: pcap_datalink(handle))
        } catch {
            throw CaptureError(.unsupportedLinkType, "\(name): \(error.reason)")
        }
    }
}
