import CPcap
import Synchronization
import TrafficModel

/// Captures from a network interface with libpcap.
///
/// `next()` blocks until a packet arrives or `stop()` is called; one owner
/// thread calls it. Only `stop()` may be called concurrently (from any thread
/// or a signal handler), which is what the `@unchecked Sendable` is for.
public final class LiveCaptureSource: PacketSource, @unchecked Sendable {
    public static let defaultSnapshotLength = 262_144
    public static let defaultBufferSize = 32 * 1024 * 1024
    /// How long one `pcap_next_ex` waits before `next()` looks at the stop flag again.
    public static let defaultReadTimeoutMilliseconds = 100

    public let linkType: LinkType
    public let name: String
    /// Warnings from activation (e.g. promiscuous mode unsupported), for the caller to log.
    public let warnings: [String]

    // Immutable after init, so stop() may read it from any thread.
    private let handle: OpaquePointer
    private let stopping = Atomic<Bool>(false)
    private var delivered = 0
    private var finished = false

    /// Opens and activates `interface`, e.g. "lo", "eth0" or "any".
    /// - Parameters:
    ///   - filter: BPF expression (tcpdump syntax), installed in the kernel.
    ///   - snapshotLength: bytes kept per packet; the default keeps whole frames.
    ///   - bufferSize: kernel ring size; raise it when `droppedByKernel` grows.
    ///   - readTimeoutMilliseconds: bounds how late `next()` notices `stop()`.
    ///   - promiscuous: also capture frames not addressed to this host.
    public init(
        interface: String, filter: String? = nil, snapshotLength: Int = LiveCaptureSource.defaultSnapshotLength,
        bufferSize: Int = LiveCaptureSource.defaultBufferSize,
        readTimeoutMilliseconds: Int = LiveCaptureSource.defaultReadTimeoutMilliseconds,
        promiscuous: Bool = false
    ) throws(CaptureError) {
        name = interface
        let (created, message) = Pcap.withErrorBuffer { pcap_create(interface, $0) }
        guard let handle = created else {
            throw CaptureError(.cannotOpen, "cannot capture on \(interface): \(message)")
        }
        do throws(CaptureError) {
            try Self.configure(
                handle, interface: interface, snapshotLength: snapshotLength, bufferSize: bufferSize,
                readTimeoutMilliseconds: readTimeoutMilliseconds, promiscuous: promiscuous)
            warnings = try Self.activate(handle, interface: interface)
            linkType = try Pcap.linkType(of: handle, name: interface)
            if let filter {
                var program = try Pcap.compile(filter, for: handle, name: interface)
                defer { pcap_freecode(&program) }
                guard pcap_setfilter(handle, &program) == 0 else {
                    throw CaptureError(
                        .badFilter, "\(interface): cannot install filter '\(filter)': \(Pcap.lastError(handle))")
                }
            }
        } catch {
            pcap_close(handle)
            throw error
        }
        self.handle = handle
    }

    deinit {
        pcap_close(handle)
    }

    /// The next packet; waits for one. Returns nil only once `stop()` has been called.
    public func next() throws(CaptureError) -> CapturedPacket? {
        while !finished {
            if stopping.load(ordering: .acquiring) {
                finished = true
                break
            }
            var header: UnsafeMutablePointer<pcap_pkthdr>?
            var data: UnsafePointer<UInt8>?
            switch pcap_next_ex(handle, &header, &data) {
            case 1:
                guard let header, let data else { continue }
                delivered += 1
                return Pcap.packet(header, data, number: delivered)
            case 0, PCAP_ERROR_BREAK:
                // Timeout, or pcap_breakloop: the loop head decides whether to go on.
                continue
            default:
                finished = true
                throw CaptureError(
                    .readError, "\(name): capture failed after packet \(delivered): \(Pcap.lastError(handle))")
            }
        }
        return nil
    }

    /// Ends the capture: the `next()` in progress (or the following one) returns nil.
    /// Safe from any thread and from a signal handler: an atomic store and `pcap_breakloop`.
    public func stop() {
        stopping.store(true, ordering: .releasing)
        pcap_breakloop(handle)
    }

    /// `pcap_stats` counters since activation; nil if libpcap cannot report them.
    public func statistics() -> PacketSourceStatistics? {
        var stats = pcap_stat()
        guard pcap_stats(handle, &stats) == 0 else { return nil }
        return PacketSourceStatistics(
            received: Int(stats.ps_recv), droppedByKernel: Int(stats.ps_drop), droppedByInterface: Int(stats.ps_ifdrop))
    }

    private static func configure(
        _ handle: OpaquePointer, interface: String, snapshotLength: Int, bufferSize: Int,
        readTimeoutMilliseconds: Int, promiscuous: Bool
    ) throws(CaptureError) {
        // These only fail on an already activated handle, which cannot happen here;
        // checked anyway so a future libpcap refusal is not silent.
        let settings: [(String, Int32)] = [
            ("snapshot length \(snapshotLength)", pcap_set_snaplen(handle, Int32(clamping: snapshotLength))),
            ("immediate mode", pcap_set_immediate_mode(handle, 1)),
            ("buffer size \(bufferSize)", pcap_set_buffer_size(handle, Int32(clamping: bufferSize))),
            ("read timeout \(readTimeoutMilliseconds) ms", pcap_set_timeout(handle, Int32(clamping: readTimeoutMilliseconds))),
            ("promiscuous mode", pcap_set_promisc(handle, promiscuous ? 1 : 0)),
            ("microsecond timestamps", pcap_set_tstamp_precision(handle, Int32(PCAP_TSTAMP_PRECISION_MICRO))),
        ]
        for (what, status) in settings where status != 0 {
            throw CaptureError(
                .cannotOpen, "cannot capture on \(interface): setting \(what) failed: \(String(cString: pcap_statustostr(status)))")
        }
    }

    /// Activates the handle, mapping each libpcap status to an error a user can act on.
    private static func activate(_ handle: OpaquePointer, interface: String) throws(CaptureError) -> [String] {
        let status = pcap_activate(handle)
        if status == 0 { return [] }
        let detail = Pcap.lastError(handle)
        let libpcap = detail.isEmpty ? String(cString: pcap_statustostr(status)) : detail
        if status > 0 {
            // PCAP_WARNING, PCAP_WARNING_PROMISC_NOTSUP, PCAP_WARNING_TSTAMP_TYPE_NOTSUP: capture works.
            return ["\(interface): \(libpcap)"]
        }
        switch status {
        case PCAP_ERROR_PERM_DENIED:
            throw CaptureError(
                .permissionDenied, "capturing on \(interface) needs root or CAP_NET_RAW (libpcap: \(libpcap))")
        case PCAP_ERROR_PROMISC_PERM_DENIED:
            throw CaptureError(
                .permissionDenied, "promiscuous mode on \(interface) is not permitted; capture without it (libpcap: \(libpcap))")
        case PCAP_ERROR_NO_SUCH_DEVICE:
            throw CaptureError(
                .noSuchDevice, "no interface named \(interface); list them with 'ip link' (libpcap: \(libpcap))")
        case PCAP_ERROR_IFACE_NOT_UP:
            throw CaptureError(.cannotOpen, "interface \(interface) is down; bring it up first (libpcap: \(libpcap))")
        case PCAP_ERROR_RFMON_NOTSUP, PCAP_ERROR_CANTSET_TSTAMP_TYPE, PCAP_ERROR_TSTAMP_PRECISION_NOTSUP:
            throw CaptureError(.cannotOpen, "cannot capture on \(interface): \(libpcap)")
        default:  // PCAP_ERROR, PCAP_ERROR_ACTIVATED and any code newer than this libpcap
            throw CaptureError(.cannotOpen, "cannot capture on \(interface): \(libpcap)")
        }
    }
}
