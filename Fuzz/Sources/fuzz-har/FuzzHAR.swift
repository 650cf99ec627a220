import Capture
import FuzzDriver
import TrafficModel

/// Import as HAR; when that succeeds the recording must encode, decode back
/// equal, and redact without trouble (what `authreplay import x.har` does).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    _ = HARImporter.looksLikeHAR(bytes)
    let importer = HARImporter(limits: HARImporter.Limits(maxFileBytes: 1 << 20), tool: "fuzz")
    guard let result = try? importer.importHAR(bytes, name: "fuzz.har") else { return 0 }
    let encoded = RecordingCodec.encodeBytes(result.recording)
    let again: Recording
    do {
        again = try RecordingCodec.decode(encoded)
    } catch {
        fatalError("the imported recording does not decode: \(error)\n--- encoded ---\n\(String(decoding: encoded, as: UTF8.self))")
    }
    if again != result.recording {
        fatalError("the imported recording does not round-trip\n--- encoded ---\n\(String(decoding: encoded, as: UTF8.self))")
    }
    let s = result.statistics
    if s.sessions != result.recording.sessions.count || s.sessions > s.entries {
        fatalError("statistics disagree with the recording")
    }
    _ = Redactor().redact(result.recording)
    return 0
}

@_cdecl("fuzz_har_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
