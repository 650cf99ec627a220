import Foundation
import TrafficModel

/// The key pseudonyms are made with when the rules file sets none: random,
/// per project, and kept outside every recording, so nobody holding a
/// committed recording can test guesses against its pseudonyms.
///
/// Looked up in order: `AUTHREPLAY_PSEUDONYM_KEY` (how CI gets it: a CI
/// secret), then `.authreplay/pseudonym-key` in the project (the nearest
/// folder above the working directory holding `.git` or the rules file, else
/// the working directory). Commands that write recordings create that file
/// when there is none: 32 random bytes, readable by its owner only, in a
/// folder whose own `.gitignore` keeps it out of git.
enum PseudonymKeyStore {
    static let environmentVariable = "AUTHREPLAY_PSEUDONYM_KEY"
    static let folder = ".authreplay"
    static let fileName = "pseudonym-key"

    struct Key {
        var bytes: [UInt8]
        /// Where it came from, for messages.
        var origin: String
    }

    /// The project's key; with `create`, a new one is made when there is none.
    static func key(create: Bool, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Key? {
        if let value = environment[environmentVariable], !value.isEmpty {
            guard value.utf8.count >= 16 else {
                Terminal.error("\(environmentVariable) holds \(value.utf8.count) bytes; a pseudonym key needs at least 16")
                throw CommandFailure(code: Exit.usage)
            }
            return Key(bytes: Array(value.utf8), origin: "$\(environmentVariable)")
        }
        let path = projectRoot() + "/\(folder)/\(fileName)"
        if let data = FileManager.default.contents(atPath: path) {
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard text.utf8.count >= 16 else {
                Terminal.error("\(path): a pseudonym key needs at least 16 bytes; delete the file to make a new one (older recordings then keep their pseudonyms)")
                throw CommandFailure(code: Exit.failure)
            }
            return Key(bytes: Array(text.utf8), origin: path)
        }
        guard create else { return nil }
        return Key(bytes: try makeKey(at: path), origin: path)
    }

    /// The nearest folder from the working directory up holding `.git` or a
    /// rules file; the working directory when there is none.
    static func projectRoot() -> String {
        let start = FileManager.default.currentDirectoryPath
        var folder = URL(fileURLWithPath: start)
        while true {
            for marker in [".git", RedactionRules.fileName, folder.path == start ? nil : Self.folder].compactMap({ $0 })
            where FileManager.default.fileExists(atPath: folder.appendingPathComponent(marker).path) {
                return folder.path
            }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path { return start }
            folder = parent
        }
    }

    private static func makeKey(at path: String) throws -> [UInt8] {
        var random = SystemRandomNumberGenerator()
        let hex = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &random)) }.joined()
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let ignore = directory + "/.gitignore"
            if !FileManager.default.fileExists(atPath: ignore) {
                try Data("# authreplay's per-project pseudonym key: never commit it.\n*\n".utf8).write(to: URL(fileURLWithPath: ignore))
            }
            // Written whole under a temporary name, then renamed: two commands
            // starting together end up sharing one key, not a half-written one.
            let temporary = path + ".\(getpid()).tmp"
            guard FileManager.default.createFile(atPath: temporary, contents: Data((hex + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteUnknown)
            }
            if link(temporary, path) != 0 && errno != EEXIST { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            unlink(temporary)
        } catch {
            Terminal.error("\(path): cannot create the project's pseudonym key: \(error); set \(environmentVariable) instead")
            throw CommandFailure(code: Exit.failure)
        }
        // Another command may have won the race: use what is on disk.
        let data = FileManager.default.contents(atPath: path) ?? Data(hex.utf8)
        Terminal.info("made a pseudonym key for this project in \(path) (kept out of git); share it with \(environmentVariable) where recordings are served or replayed")
        return Array(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).utf8)
    }
}
