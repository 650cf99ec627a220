import TrafficModel
import Wire
import FuzzDriver

/// First byte (plus 1): the size of the appends the rest is cut into. The
/// events must not depend on the cut (checked against one whole append), and
/// each event written back must parse to itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let chunk = Int(data[0]) + 1
    let body = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let limit = 4 * 1024
    let whole = try? ServerSentEventParser.events(in: body, maxEventBytes: limit)
    var parser = ServerSentEventParser(maxEventBytes: limit)
    var pieces: [ServerSentEventParser.Parsed] = []
    var start = 0
    do {
        while start < body.count {
            let end = min(start + chunk, body.count)
            parser.append(body[start..<end])
            start = end
            while let event = try parser.next() { pieces.append(event) }
        }
    } catch {
        // Over the limit: the whole parse must have failed too (a cut can only fail earlier).
        return 0
    }
    guard let whole else { fatalError("the whole body failed but its pieces parsed") }
    if whole.events != pieces { fatalError("events depend on how the body was cut") }
    for parsed in whole.events {
        let written = ServerSentEventWriter.bytes(parsed.event)
        guard let again = try? ServerSentEventParser.events(in: written, maxEventBytes: limit * 4), again.events.map(\.event) == [parsed.event] else {
            fatalError("an event does not survive the writer: \(parsed.event)")
        }
    }
    return 0
}

@_cdecl("fuzz_sse_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
