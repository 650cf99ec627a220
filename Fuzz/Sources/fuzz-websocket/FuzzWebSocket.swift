import Capture
import Wire
import FuzzDriver
import TrafficModel

/// First byte: bit 0 turns permessage-deflate on, bit 1 picks the direction,
/// bit 2 no-context-takeover, bits 3-5 window bits (8 + n, capped at 15),
/// bits 6-7 chunk size selector. The rest is the frame stream.
/// Limits are 64 KiB so decompression bombs and huge lengths stop early.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let control = data[0]
    let limits = WebSocketLimits(maxFramePayload: 64 * 1024, maxMessageBytes: 64 * 1024)
    let bits = min(15, 8 + Int((control >> 3) & 7))
    let noTakeover = control & 4 != 0
    let deflate: PerMessageDeflateParameters? =
        control & 1 != 0
        ? PerMessageDeflateParameters(
            serverNoContextTakeover: noTakeover, clientNoContextTakeover: noTakeover,
            serverMaxWindowBits: bits, clientMaxWindowBits: bits
        ) : nil
    let direction: Direction = control & 2 != 0 ? .server : .client
    let chunk = [1, 7, 64, 4096][Int(control >> 6)]
    let stream = UnsafeBufferPointer(start: data + 1, count: size - 1)

    var parser = WebSocketFrameParser(limits: limits)
    var assembler = WebSocketMessageAssembler(direction: direction, deflate: deflate, limits: limits)
    var start = 0
    outer: while start < stream.count {
        let end = min(start + chunk, stream.count)
        parser.append(stream[start..<end])
        start = end
        while true {
            do {
                guard let frame = try parser.nextFrame() else { break }
                for event in assembler.push(frame) {
                    if case .message(let message) = event, !message.payloadIsCompressed, message.payload.count > 64 * 1024 {
                        fatalError("message over the 64 KiB limit: \(message.payload.count) bytes")
                    }
                }
            } catch {
                break outer
            }
        }
    }
    _ = assembler.finish()
    return 0
}

@_cdecl("fuzz_websocket_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
