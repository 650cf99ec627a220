public import TrafficModel

/// One frame as a packet source delivered it: the captured bytes and libpcap's record header.
public struct CapturedPacket: Sendable, Equatable {
    /// Capture time, microsecond precision (nanosecond files are scaled down by libpcap).
    public var timestamp: Timestamp
    /// Bytes captured (`data.count`); below `wireLength` when the snaplen cut the frame.
    public var capturedLength: Int
    /// Length of the frame on the wire.
    public var wireLength: Int
    public var data: [UInt8]
    /// 1-based position in the source. For files it counts every record, filtered or
    /// not, so it matches Wireshark's frame number; live it counts delivered packets.
    public var number: Int

    public init(timestamp: Timestamp, capturedLength: Int, wireLength: Int, data: [UInt8], number: Int) {
        self.timestamp = timestamp
        self.capturedLength = capturedLength
        self.wireLength = wireLength
        self.data = data
        self.number = number
    }

    /// A whole frame (nothing cut off), for building fixtures.
    public init(timestamp: Timestamp, data: [UInt8], number: Int = 0) {
        self.init(timestamp: timestamp, capturedLength: data.count, wireLength: data.count, data: data, number: number)
    }
}
