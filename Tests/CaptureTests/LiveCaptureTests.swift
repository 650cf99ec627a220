import Dispatch
import Foundation
import Glibc
import TestSupport
import TrafficModel
import XCTest

@testable import Capture

/// LiveCaptureSource on `lo` against a real TCP connection. Needs root (or
/// CAP_NET_RAW); skipped otherwise (failed under CI=true). Every wait has a deadline.
final class LiveCaptureTests: XCTestCase {
    func requireRoot() throws {
        try requireOrSkip(getuid() == 0, "live capture needs root; uid is \(getuid())")
    }

    /// A listening socket on 127.0.0.1 with a kernel-chosen port.
    static func listener() throws -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno)!) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && listen(fd, 4) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw POSIXError(.init(rawValue: errno)!)
        }
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    static func connect(port: UInt16) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        address.sin_port = port.bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard fd >= 0, connected else {
            close(fd)
            throw POSIXError(.init(rawValue: errno) ?? .EIO)
        }
        return fd
    }

    func testCapturesAConnectionOnLoopbackThenStops() throws {
        try requireRoot()
        let (listenFD, port) = try Self.listener()
        defer { close(listenFD) }
        let source = try LiveCaptureSource(interface: "lo", filter: "tcp port \(port)")
        XCTAssertEqual(source.linkType, .ethernet, "lo is DLT_EN10MB on Linux")
        XCTAssertEqual(source.name, "lo")

        // Whatever happens below, the capture ends by this deadline.
        let watchdog = DispatchWorkItem { source.stop() }
        DispatchQueue.global().asyncAfter(deadline: .now() + 15, execute: watchdog)
        defer { watchdog.cancel() }

        // Server: accept once, read to EOF (bounded by a receive timeout).
        let received = Counter()
        let serverDone = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            defer { serverDone.signal() }
            let fd = accept(listenFD, nil, nil)
            guard fd >= 0 else { return }
            defer { close(fd) }
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n <= 0 { break }
                received.add(n)
            }
        }

        let message = (0..<10_240).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        let clientFD = try Self.connect(port: port)
        var sent = 0
        while sent < message.count {
            let n = message[sent...].withUnsafeBytes { send(clientFD, $0.baseAddress, $0.count, 0) }
            XCTAssertGreaterThan(n, 0)
            if n <= 0 { break }
            sent += n
        }
        shutdown(clientFD, Int32(SHUT_WR))
        defer { close(clientFD) }

        // Read until the SYN and every payload byte toward the server have been seen.
        var sawSYN = false
        var payloadBySequence: [UInt32: ArraySlice<UInt8>] = [:]
        var synSequence: UInt32 = 0
        var numbers: [Int] = []
        func assembled() -> [UInt8] {
            var bytes: [UInt8] = []
            var next = synSequence &+ 1
            while let piece = payloadBySequence[next], !piece.isEmpty {
                bytes += piece
                next = next &+ UInt32(piece.count)
            }
            return bytes
        }
        while !(sawSYN && assembled().count >= message.count), let packet = try source.next() {
            numbers.append(packet.number)
            XCTAssertEqual(packet.data.count, packet.capturedLength)
            guard case .tcp(let segment) = try PacketDecoder.decode(packet.data, linkType: source.linkType),
                segment.destination.port == port
            else { continue }
            if segment.flags.contains(.syn) && !segment.flags.contains(.ack) {
                sawSYN = true
                synSequence = segment.sequence
            }
            if !segment.payload.isEmpty { payloadBySequence[segment.sequence] = segment.payload }
        }
        XCTAssertTrue(sawSYN, "no SYN to port \(port) captured")
        XCTAssertEqual(assembled(), message, "captured payload differs from what was sent")
        XCTAssertEqual(numbers, Array(1..<(numbers.count + 1)), "live numbers count delivered packets")
        XCTAssertEqual(serverDone.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(received.value, message.count)

        // stop() from another thread ends a next() that is waiting for packets that never come.
        let stoppedAt = Stamp()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) {
            stoppedAt.set()
            source.stop()
        }
        var extra = 0
        while try source.next() != nil { extra += 1 }  // the FIN/ACK tail, then nil
        let lag = stoppedAt.elapsed()
        XCTAssertNotNil(lag, "next() returned nil before stop()")
        XCTAssertLessThan(lag ?? 99, 1.0, "next() took \(lag ?? 99) s to notice stop()")
        XCTAssertNil(try source.next(), "stays stopped")
        XCTAssertLessThan(extra, 50)

        let stats = try XCTUnwrap(source.statistics())
        XCTAssertGreaterThanOrEqual(stats.received, numbers.count)
        XCTAssertEqual(stats.droppedByKernel, 0)
    }

    func testStopBeforeNextReturnsNil() throws {
        try requireRoot()
        let source = try LiveCaptureSource(interface: "lo", filter: "tcp port 9")
        source.stop()
        XCTAssertNil(try source.next())
    }

    func testNoSuchInterface() throws {
        try requireRoot()
        XCTAssertThrowsError(try LiveCaptureSource(interface: "nosuchif0")) { error in
            let error = error as? CaptureError
            XCTAssertEqual(error?.code, .noSuchDevice)
            XCTAssertTrue(error?.reason.hasPrefix("no interface named nosuchif0") == true, error?.reason ?? "")
        }
    }

    func testBadFilterOnInterface() throws {
        try requireRoot()
        XCTAssertThrowsError(try LiveCaptureSource(interface: "lo", filter: "port port")) { error in
            XCTAssertEqual((error as? CaptureError)?.code, .badFilter)
            XCTAssertTrue((error as? CaptureError)?.reason.hasPrefix("lo: bad BPF filter 'port port'") == true)
        }
    }
}

/// Thread-safe helpers for the test's background queues.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0
    func add(_ n: Int) { lock.withLock { total += n } }
    var value: Int { lock.withLock { total } }
}

private final class Stamp: @unchecked Sendable {
    private let lock = NSLock()
    private var start: DispatchTime?
    func set() { lock.withLock { start = .now() } }
    /// Seconds since `set()`, or nil if it was not called.
    func elapsed() -> Double? {
        lock.withLock { start.map { Double(DispatchTime.now().uptimeNanoseconds - $0.uptimeNanoseconds) / 1e9 } }
    }
}
