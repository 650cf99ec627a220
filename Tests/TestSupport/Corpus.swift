import Foundation

/// Where the tests find files outside their own folder, from the package root
/// (derived from this file's path, so the checkout can live anywhere). CI
/// clones the repository next to a copy of `shared/`, so the public captures
/// are only ever addressed as `<package root>/../shared/captures`.
public enum Corpus {
    /// The package root: this file is `<root>/Tests/TestSupport/Corpus.swift`.
    public static let packageRoot: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    /// The public captures (pcap, pcapng, HAR and their README), beside the package.
    public static let captures: String = packageRoot + "/../shared/captures"

    /// The path of one public capture (which may be absent; see `requireCapture`).
    public static func capture(_ name: String) -> String { captures + "/" + name }

    /// The path of one public capture; skips the test when it is absent, fails it under CI.
    public static func requireCapture(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let path = capture(name)
        try requireOrSkip(FileManager.default.fileExists(atPath: path), "\(path) is absent", file: file, line: line)
        return path
    }

    /// The names of the public captures ending in one of `suffixes`, sorted;
    /// skips the test when the folder is absent, fails it under CI.
    public static func captureNames(endingIn suffixes: [String], file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let names = try? FileManager.default.contentsOfDirectory(atPath: captures)
        try requireOrSkip(names != nil, "\(captures) is absent", file: file, line: line)
        return (names ?? []).filter { name in suffixes.contains { name.hasSuffix($0) } }.sorted()
    }
}
