import FuzzDriver
import TrafficModel

/// Decode; when that succeeds, encode and decode again: the value must round-trip.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let recording = try? RecordingCodec.decode(bytes) else { return 0 }
    let encoded = RecordingCodec.encode(recording)
    let again: Recording
    do {
        again = try RecordingCodec.decode(Array(encoded.utf8))
    } catch {
        fatalError("re-decoding the encoded recording failed: \(error)\n--- encoded ---\n\(encoded)")
    }
    if again != recording {
        fatalError("round trip changed the recording\n--- encoded ---\n\(encoded)")
    }
    let bytesEncoded = RecordingCodec.encodeBytes(recording)
    if bytesEncoded != Array(encoded.utf8) { fatalError("encode and encodeBytes differ") }
    return 0
}

@_cdecl("fuzz_recording_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc, argv) { data, size in fuzz(data, size) }
}
