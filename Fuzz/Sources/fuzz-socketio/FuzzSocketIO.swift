import TrafficModel
import Wire
import FuzzDriver

/// The input as a polling payload, and each of its packets as a Socket.IO
/// packet: parse or a WireError, and whatever parses renders for inspect.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let packets = try? EngineIOPacket.parse(payload: text) {
        for packet in packets { _ = packet.readable() }
    }
    if let packet = try? SocketIOPacket.parse(text) {
        _ = packet.readable
        if packet.type == .event, packet.eventName == nil, case .array(let items)? = packet.data, items.first?.stringValue != nil {
            fatalError("an event named by a string has no eventName")
        }
    }
    return 0
}

@_cdecl("fuzz_socketio_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
