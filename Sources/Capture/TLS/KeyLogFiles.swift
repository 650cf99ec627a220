import Foundation
import TrafficModel
public import Synchronization
public import Wire

/// The key logs given with `--keylog`, as the record layer's secret source.
///
/// An import reads them once. A live capture runs while its client is still
/// writing the log, so a missing client random makes it read a file again
/// when the file has grown since (a stat per miss, a read per change).
/// Secrets stay in memory only; nothing here writes them anywhere.
public final class KeyLogFiles: TLSSecretSource {
    public let paths: [String]
    private let embedded: [String]
    private let rereads: Bool
    private let state: Mutex<State>
    /// TLS 1.2 sessions of this import or capture, for resumptions the logs do not cover.
    public let sessionCache: TLSSessionCache? = TLSSessionCache()

    private struct State {
        var log = TLSKeyLog()
        var sizes: [String: Int] = [:]
    }

    /// Reads every file now; a file that cannot be read is an error naming it.
    /// `embedded` are key-log texts the capture itself carries (pcapng
    /// Decryption Secrets Blocks), read besides the files.
    public init(paths: [String], embedded: [String] = [], rereads: Bool) throws(CaptureError) {
        self.paths = paths
        self.rereads = rereads
        self.embedded = embedded
        var state = State()
        for text in embedded { state.log.add(parsing: text) }
        for path in paths {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CaptureError(.cannotOpen, "\(path): cannot read the key log", location: ErrorLocation(file: path))
            }
            state.log.add(parsing: String(decoding: data, as: UTF8.self))
            state.sizes[path] = data.count
        }
        self.state = Mutex(state)
    }

    /// The secrets read so far.
    public var log: TLSKeyLog { state.withLock { $0.log } }

    /// What a person should hear about the files as read: skipped lines, no secrets at all.
    public var warnings: [String] {
        let log = self.log
        var warnings: [String] = []
        if log.malformedLineCount > 0 {
            let lines = log.malformedLines.map(String.init).joined(separator: ", ")
            warnings.append("--keylog: \(log.malformedLineCount) lines are not LABEL <client random> <secret> and were skipped (lines \(lines))")
        }
        if log.isEmpty && !rereads { warnings.append("--keylog: the key logs hold no TLS secrets") }
        return warnings
    }

    public func secrets(forClientRandom random: [UInt8]) -> TLSKeyLog.Secrets? {
        state.withLock { state in
            // A live client writes a connection's lines one by one, so a found
            // entry may still lack the secret asked for: check for growth first.
            guard rereads else { return state.log.secrets(forClientRandom: random) }
            var grew = false
            for path in paths {
                let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                if size != state.sizes[path] { grew = true }
            }
            guard grew else { return state.log.secrets(forClientRandom: random) }
            var log = TLSKeyLog()
            for text in embedded { log.add(parsing: text) }
            for path in paths {
                guard let data = FileManager.default.contents(atPath: path) else { continue }
                log.add(parsing: String(decoding: data, as: UTF8.self))
                state.sizes[path] = data.count
            }
            state.log = log
            return log.secrets(forClientRandom: random)
        }
    }
}
