import Capture
import FuzzDriver

/// First byte picks the link type, the rest is one captured frame.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let cases = LinkType.allCases
    let linkType = cases[Int(data[0]) % cases.count]
    let frame = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    _ = try? PacketDecoder.decode(frame, linkType: linkType)
    _ = try? PacketDecoder.decode(frame[...], linkType: linkType)
    frame.withUnsafeBytes { raw in _ = try? PacketDecoder.decode(raw, linkType: linkType) }
    return 0
}

@_cdecl("fuzz_packet_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
