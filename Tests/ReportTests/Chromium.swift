import Foundation
import TestSupport
import XCTest

/// Debian's `chromium`, headless: a page loaded as a browser loads it (its
/// script run), then the DOM serialized (`--dump-dom`) or the page drawn
/// (`--screenshot`). A profile directory of its own per call, so parallel
/// runs on a busy machine do not share state.
enum Chromium {
    static let path = "/usr/bin/chromium"
    /// Seconds one browser run may take; a page loads in about one.
    static let timeout: Double = 120

    static func require() throws {
        try requireOrSkip(FileManager.default.isExecutableFile(atPath: path), "\(path) is not installed (apt-get install chromium): the report is tested in a real browser")
    }

    static func dumpDOM(_ file: URL, scratch: URL) throws -> String {
        try run(["--dump-dom", file.absoluteString], scratch: scratch)
    }

    /// Draws `url` (a file URL, with a #fragment to scroll to) at width × height into `png`.
    static func screenshot(_ url: String, to png: URL, width: Int = 1280, height: Int, scratch: URL) throws {
        _ = try run(["--hide-scrollbars", "--window-size=\(width),\(height)", "--screenshot=\(png.path)", url], scratch: scratch)
    }

    private static func run(_ arguments: [String], scratch: URL) throws -> String {
        let profile = scratch.appendingPathComponent("chromium-\(UUID().uuidString)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(profile.path)"] + arguments
        process.currentDirectoryURL = scratch
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // A browser that hangs (a busy machine, a broken install) is stopped, not waited on forever.
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        defer { watchdog.cancel() }
        // Read to the end first (a DOM larger than the pipe would block the browser), then reap.
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "chromium \(arguments) failed (or took over \(Int(timeout)) s)")
        return String(decoding: data, as: UTF8.self)
    }
}
