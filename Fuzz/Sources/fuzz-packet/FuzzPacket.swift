import Capture
import FuzzDriver
import TrafficModel

/// First byte: the link type (low 7 bits). With the high bit clear the rest is
/// one captured frame; with it set the rest is frames of `u16 length + bytes`,
/// each decoded and its IP fragments fed to one `IPFragmentReassembler`
/// (small limits), every reassembled datagram decoded in turn.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let cases = LinkType.allCases
    let linkType = cases[Int(data[0] & 0x7F) % cases.count]
    let input = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    guard data[0] & 0x80 != 0 else {
        decodeAllWays(input, linkType)
        return 0
    }
    var reassembler = IPFragmentReassembler(limits: IPFragmentLimits(maxDatagrams: 4, maxBufferedBytes: 1 << 16, timeout: 1))
    var offset = 0
    var clock = 0.0
    while offset + 2 <= input.count {
        let length = Int(input[offset]) << 8 | Int(input[offset + 1])
        let frame = Array(input[(offset + 2)..<min(input.count, offset + 2 + length)])
        offset += 2 + length
        clock += 0.25
        decodeAllWays(frame, linkType)
        var packet = try? PacketDecoder.decode(frame, linkType: linkType)
        // The processor's bound on reassembly rounds (a fragment inside a reassembled datagram).
        for _ in 0..<4 {
            guard case .ipFragment(let fragment) = packet,
                  case .complete(let datagram) = reassembler.add(fragment, at: Timestamp(seconds: clock)) else { break }
            packet = try? PacketDecoder.decode(datagram)
        }
    }
    return 0
}

private func decodeAllWays(_ frame: [UInt8], _ linkType: LinkType) {
    _ = try? PacketDecoder.decode(frame, linkType: linkType)
    _ = try? PacketDecoder.decode(frame[...], linkType: linkType)
    frame.withUnsafeBytes { raw in _ = try? PacketDecoder.decode(raw, linkType: linkType) }
}

@_cdecl("fuzz_packet_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
