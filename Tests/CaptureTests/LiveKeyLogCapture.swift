import Foundation
import TestSupport
import TrafficModel
@testable import Capture

/// A live capture on `lo` of one port, decrypting with a key log its client
/// is still writing (re-read as it grows), for the live TLS tests.
final class LiveKeyLogCapture: Sendable {
    private let source: LiveCaptureSource
    private let captured: Task<[Session], any Error>
    /// Sessions ended so far.
    let ended = Box(0)

    init(port: String, keyLog: String) throws {
        let source = try LiveCaptureSource(interface: "lo", filter: "tcp port \(port)")
        var options = CaptureOptions()
        options.tlsSecrets = try KeyLogFiles(paths: [keyLog], rereads: true)
        let ended = self.ended
        self.source = source
        captured = Task.detached { [options] () -> [Session] in
            var processor = CaptureProcessor(linkType: source.linkType, options: options)
            var sessions: [Session] = []
            while let packet = try source.next() {
                sessions += processor.process(packet.data, at: packet.timestamp)
                ended.update { [count = sessions.count] in $0 = count }
            }
            return sessions + processor.finish(truncated: false)
        }
    }

    /// Stops capturing; every session, in the order they ended.
    func stop() async throws -> [Session] {
        source.stop()
        return try await captured.value
    }
}
