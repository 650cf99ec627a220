/// A synchronous supplier of captured frames: a capture file or a live interface.
public protocol PacketSource {
    /// Framing of every packet this source yields; fixed when the source opens.
    var linkType: LinkType { get }
    /// The file path or interface name, for messages.
    var name: String { get }
    /// The next packet, or nil at the end. After an error the source is finished
    /// and keeps returning nil, so the caller can flush what it already has.
    mutating func next() throws(CaptureError) -> CapturedPacket?
    /// Kernel counters for live captures; nil where there are none (files).
    func statistics() -> PacketSourceStatistics?
}

/// libpcap's `pcap_stats`: what the kernel saw and what was lost before we read it.
public struct PacketSourceStatistics: Sendable, Equatable {
    /// Packets that passed the filter (on Linux: including those later dropped).
    public var received: Int
    /// Dropped because the capture buffer was full: raise the buffer size or read faster.
    public var droppedByKernel: Int
    /// Dropped by the interface or its driver.
    public var droppedByInterface: Int

    public init(received: Int, droppedByKernel: Int, droppedByInterface: Int) {
        self.received = received
        self.droppedByKernel = droppedByKernel
        self.droppedByInterface = droppedByInterface
    }
}
