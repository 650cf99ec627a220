import Foundation
import TestSupport
import TrafficModel
import Wire
@testable import Capture

/// A live capture on `lo` of one port, decrypting with a key log its client
/// is still writing (re-read as it grows), for the live TLS tests.
final class LiveKeyLogCapture: Sendable {
    private let source: LiveCaptureSource
    private let captured: Task<[Session], any Error>
    /// Sessions ended so far.
    let ended = Box(0)

    /// `onlyFirstConnection`: the log's lines for later connections are ignored (`FirstConnectionOnly`).
    init(port: String, keyLog: String, onlyFirstConnection: Bool = false) throws {
        let source = try LiveCaptureSource(interface: "lo", filter: "tcp port \(port)")
        var options = CaptureOptions()
        let files = try KeyLogFiles(paths: [keyLog], rereads: true)
        options.tlsSecrets = onlyFirstConnection ? FirstConnectionOnly(files) : files
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

/// A key log as a client that logs only full handshakes writes it: the
/// CLIENT_RANDOM of the first connection asked about, none for later ones.
/// Its session cache is the files', so resumptions are found through it.
final class FirstConnectionOnly: TLSSecretSource {
    let files: KeyLogFiles
    private let first = Box<[UInt8]?>(nil)

    init(_ files: KeyLogFiles) { self.files = files }

    var sessionCache: TLSSessionCache? { files.sessionCache }

    func secrets(forClientRandom random: [UInt8]) -> TLSKeyLog.Secrets? {
        var isFirst = false
        first.update { first in
            if first == nil { first = random }
            isFirst = first == random
        }
        return isFirst ? files.secrets(forClientRandom: random) : nil
    }
}
