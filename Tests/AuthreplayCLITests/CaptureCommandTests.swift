import Foundation
import TestSupport
import TrafficModel
import XCTest

/// `authreplay capture` on lo, stopped by SIGINT, against `authreplay serve`:
/// both real processes, a real HTTP exchange over a real socket. Needs root.
final class CaptureCommandTests: XCTestCase {
    func testCaptureOnLoopbackStopsOnSIGINTAndWritesTheExchange() throws {
        try requireOrSkip(getuid() == 0, "live capture on lo needs root")
        let dir = try scratchDirectory("authreplay-capture")
        let output = dir.appendingPathComponent("live.json").path

        let serve = try BackgroundProcess(["serve", "recordings/auth-required.json", "--port", "0"])
        defer { serve.interrupt() }
        let listening = try XCTUnwrap(serve.waitForStdoutLine(prefix: "listening on http://127.0.0.1:"))
        let port = try XCTUnwrap(UInt16(listening.split(separator: ":").last!))

        let capture = try BackgroundProcess(["capture", "--interface", "lo", "--port", "\(port)", "--output", output])
        // The capture is active (libpcap handle activated) when it says so.
        XCTAssertNotNil(capture.waitForStderr(containing: "capturing on lo"), capture.stderr)

        let body = #"{"username":"alice","password":"correct horse"}"#
        let response = try RawHTTP.exchange(port: port, "POST /auth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 200"), response)
        // The capture stops at SIGINT without reading what is still in the
        // kernel's buffer, and a separate process shows no progress to wait
        // on: give it time to read the connection's last packets.
        Thread.sleep(forTimeInterval: 0.3)

        capture.interrupt()
        let status = capture.wait(timeout: 10)
        XCTAssertEqual(status, 0, capture.stderr)
        XCTAssertTrue(capture.stdout.contains("wrote \(output): 1 sessions, 1 HTTP exchanges"), capture.stdout)
        XCTAssertTrue(capture.stdout.contains("kernel:"), capture.stdout)
        let recording = try RecordingCodec.decode(try Data(contentsOf: URL(fileURLWithPath: output)))
        XCTAssertEqual(recording.source.kind, .live)
        XCTAssertEqual(recording.sessions.first?.exchanges.first?.request.target, "/auth/token")
        XCTAssertEqual(recording.sessions.first?.exchanges.first?.response?.status, 200)
        XCTAssertEqual(recording.sessions.first?.auth.first?.role, .issued)
    }

    func testCaptureWithoutPrivilegesOrInterfaceSaysWhy() throws {
        let r = try CLI.run(["capture", "--interface", "no-such-if0", "--output", "/tmp/x.json"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("no-such-if0"), r.stderr)
    }
}

/// A CLI process running in the background, with its output collected.
final class BackgroundProcess: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()
    /// Left when the process has exited and when each pipe has reached its end.
    private let finished = DispatchGroup()

    init(_ arguments: [String]) throws {
        process.executableURL = CLI.executable
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: CLI.repositoryRoot)
        let outPipe = Pipe()
        let errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        for _ in 0..<3 { finished.enter() }
        process.terminationHandler = { [finished] _ in finished.leave() }
        collect(outPipe) { $0.out.append($1) }
        collect(errPipe) { $0.err.append($1) }
        try process.run()
    }

    var stdout: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
    var stderr: String { lock.withLock { String(decoding: err, as: UTF8.self) } }

    func waitForStdoutLine(prefix: String, timeout: Double = 10) -> String? {
        poll(timeout) { self.stdout.split(separator: "\n").first { $0.hasPrefix(prefix) }.map(String.init) }
    }

    func waitForStderr(containing text: String, timeout: Double = 10) -> String? {
        poll(timeout) { self.stderr.contains(text) ? self.stderr : nil }
    }

    private func poll<T>(_ timeout: Double, _ check: () -> T?) -> T? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let value = check() { return value }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return nil
    }

    func interrupt() {
        if process.isRunning { kill(process.processIdentifier, SIGINT) }
    }

    /// Appends what arrives on `pipe` until its end, then leaves `finished`.
    private func collect(_ pipe: Pipe, into append: @escaping @Sendable (BackgroundProcess, Data) -> Void) {
        let ended = Box(false)
        pipe.fileHandleForReading.readabilityHandler = { [weak self, finished] handle in
            let data = handle.availableData
            guard data.isEmpty else {
                if let self { self.lock.withLock { append(self, data) } }
                return
            }
            handle.readabilityHandler = nil
            var first = false
            ended.update { first = !$0; $0 = true }
            if first { finished.leave() }
        }
    }

    /// The exit status once the process has exited and both pipes are read to
    /// their end; nil (and the process terminated) after `timeout` seconds.
    func wait(timeout: Double) -> Int32? {
        guard finished.wait(timeout: .now() + timeout) == .success else {
            process.terminate()
            return nil
        }
        return process.terminationStatus
    }
}

/// One HTTP/1.1 exchange over a plain POSIX socket, read until the server closes.
enum RawHTTP {
    struct Failure: Error { let reason: String }

    static func exchange(port: UInt16, _ request: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(reason: "socket") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(reason: "connect: \(errno)") }
        let bytes = Array(request.utf8)
        guard send(fd, bytes, bytes.count, 0) == bytes.count else { throw Failure(reason: "send") }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        return String(decoding: response, as: UTF8.self)
    }
}
