import Capture
import Wire
import FuzzDriver

/// First byte: bit 0 picks the role, the rest (plus 1) is the chunk size in
/// which the remaining bytes are appended. Small limits keep each run fast.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let role: HTTP1Parser.Role = data[0] & 1 == 0 ? .request : .response
    let chunk = Int(data[0] >> 1) + 1
    let body = UnsafeBufferPointer(start: data + 1, count: size - 1)
    var parser = HTTP1Parser(
        role: role, limits: HTTP1Limits(maxHeaderBytes: 8 * 1024, maxHeaderFields: 64, maxBodyBytes: 64 * 1024)
    )
    var failed = false
    var start = 0
    outer: while start < body.count {
        let end = min(start + chunk, body.count)
        parser.append(body[start..<end])
        start = end
        while true {
            do {
                guard let event = try parser.next() else { break }
                if case .message(let message) = event, role == .response, message.status == nil { fatalError("response without status") }
            } catch {
                failed = true
                break outer
            }
        }
        if parser.status == .awaitingUpgradeDecision {
            // Alternate: refuse some upgrades, accept others.
            if start % 2 == 0 { parser.resumeAfterRefusedUpgrade() } else { _ = parser.takeRemainingBytes() }
        }
    }
    if !failed {
        while let _ = try? parser.finish() {}
    }
    return 0
}

@_cdecl("fuzz_http_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
