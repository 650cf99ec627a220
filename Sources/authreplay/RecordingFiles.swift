import Foundation
import TrafficModel

/// Loads recordings from disk, turning every failure into one clear line.
enum RecordingFiles {
    static func load(_ path: String) throws -> Recording {
        guard let data = FileManager.default.contents(atPath: path) else {
            Terminal.error("\(path): cannot read the file (does it exist?)")
            throw CommandFailure(code: Exit.failure)
        }
        do {
            return try RecordingCodec.decode(data)
        } catch {
            Terminal.error("\(path): \(error)")
            throw CommandFailure(code: Exit.failure)
        }
    }
}
