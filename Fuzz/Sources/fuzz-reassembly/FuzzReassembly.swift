import Capture
import Wire
import FuzzDriver
import TrafficModel

/// The input is a sequence of records, each one small TCP segment:
///   byte 0: TCP flags (low 6 bits), bit 6: second connection, bit 7: sent by the server
///   bytes 1-2: sequence offset (big endian) from the direction's base sequence
///   byte 3: low 5 bits payload length (0...31), high 3 bits time step (0...7 s)
///   then the payload bytes (as many as remain).
/// Limits are small so eviction, skipping and idle paths run too.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    var reassembler = TCPReassembler(
        limits: TCPReassemblerLimits(
            maxBufferedBytesPerConnection: 256, maxBufferedBytesTotal: 512, maxConnections: 2, idleTimeout: 10
        )
    )
    let client = IPEndpoint(IPAddress(v4: [10, 0, 0, 1]), 50000)
    let client2 = IPEndpoint(IPAddress(v6: [0xfe, 0x80] + Array(repeating: 0, count: 13) + [2]), 50001)
    let server = IPEndpoint(IPAddress(v4: [10, 0, 0, 2]), 443)
    // Bases near the wrap-around so sequence arithmetic wraps.
    let clientBase: UInt32 = 0xFFFF_FF00
    let serverBase: UInt32 = 0x0000_1000
    var time = Timestamp(microseconds: 1_700_000_000_000_000)
    var events = 0
    var i = 0
    while i + 4 <= input.count {
        let control = input[i]
        let offset = UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
        let lengthAndStep = input[i + 3]
        i += 4
        let length = min(Int(lengthAndStep & 0x1F), input.count - i)
        let payload = ArraySlice(input[i..<(i + length)])
        i += length
        time = time.adding(seconds: Double(lengthAndStep >> 5))
        let fromServer = control & 0x80 != 0
        let peer = control & 0x40 != 0 ? client2 : client
        let base = fromServer ? serverBase : clientBase
        let other = fromServer ? clientBase : serverBase
        let segment = TCPSegment(
            source: fromServer ? server : peer, destination: fromServer ? peer : server,
            sequence: base &+ offset, acknowledgment: other, flags: TCPFlags(rawValue: control & 0x3F),
            payload: payload, missingBytes: Int(lengthAndStep >> 5) == 7 ? Int(offset & 0xFF) : 0
        )
        events += reassembler.process(segment, at: time).count
        if lengthAndStep >> 5 == 6 { events += reassembler.flushIdle(now: time.adding(seconds: 30)).count }
    }
    events += reassembler.finish().count
    precondition(reassembler.bufferedBytes == 0 || reassembler.trackedConnections == 0 || events >= 0)
    return 0
}

@_cdecl("fuzz_reassembly_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
