import Foundation
import NIOCore
import NIOPosix

/// A plain TCP client for what the HTTP and WebSocket clients hide: pipelined
/// requests, exact response bytes, frames as sent. Every wait has a deadline.
final class RawConnection: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    private var closed = false
    private var channel: Channel?
    /// Counts reads and the close; a waiter sleeps until it moves.
    private var generation = 0
    private var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]

    static func connect(port: Int) async throws -> RawConnection {
        let connection = RawConnection()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(connection: connection))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        connection.lock.withLock { connection.channel = channel }
        return connection
    }

    var received: [UInt8] { lock.withLock { bytes } }
    var text: String { String(decoding: received, as: UTF8.self) }
    var isClosed: Bool { lock.withLock { closed } }

    func send(_ data: [UInt8]) async throws {
        guard let channel = lock.withLock({ channel }) else { return }
        try await channel.writeAndFlush(ByteBuffer(bytes: data))
    }

    func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    /// Waits until `condition` holds for the bytes received so far (and whether
    /// the server closed), or the deadline passes. Returns whether it held.
    /// Woken by each read and by the close, not by polling, so a test of many
    /// round trips costs what its round trips cost.
    @discardableResult
    func wait(timeout: Duration = .seconds(5), until condition: ([UInt8], Bool) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let (data, done, seen) = lock.withLock { (bytes, closed, generation) }
            if condition(data, done) { return true }
            if ContinuousClock.now >= deadline { return false }
            await changed(after: seen, deadline: deadline)
        }
    }

    /// Returns once something arrived after `generation`, or at the deadline.
    private func changed(after generation: Int, deadline: ContinuousClock.Instant) async {
        let id = UUID()
        let timer = Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            self.wake(id)
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = lock.withLock { () -> Bool in
                // The deadline check under the lock: a timer that fired before
                // this waiter was registered has nobody to wake.
                if self.generation != generation || ContinuousClock.now >= deadline { return true }
                waiters[id] = continuation
                return false
            }
            if now { continuation.resume() }
        }
        timer.cancel()
    }

    private func wake(_ id: UUID) {
        lock.withLock { waiters.removeValue(forKey: id) }?.resume()
    }

    private func wakeAll() {
        let woken = lock.withLock { () -> [CheckedContinuation<Void, Never>] in
            generation += 1
            defer { waiters.removeAll() }
            return Array(waiters.values)
        }
        for waiter in woken { waiter.resume() }
    }

    /// Everything until the server closes the connection (or the deadline).
    func readToEnd(timeout: Duration = .seconds(5)) async -> [UInt8] {
        await wait(timeout: timeout) { _, done in done }
        return received
    }

    func close() async {
        guard let channel = lock.withLock({ channel }) else { return }
        try? await channel.close()
    }

    fileprivate func append(_ buffer: ByteBuffer) {
        lock.withLock { bytes += buffer.readableBytesView }
        wakeAll()
    }

    fileprivate func markClosed() {
        lock.withLock { closed = true }
        wakeAll()
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let connection: RawConnection
        init(connection: RawConnection) { self.connection = connection }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            connection.append(unwrapInboundIn(data))
        }

        func channelInactive(context: ChannelHandlerContext) {
            connection.markClosed()
        }

        func errorCaught(context: ChannelHandlerContext, error: Error) {
            context.close(promise: nil)
        }
    }
}

/// Raw WebSocket framing for the tests (RFC 6455 §5.2).
enum RawFrames {
    struct Frame: Equatable {
        var fin: Bool
        var opcode: UInt8
        var payload: [UInt8]
        /// RSV1: the message is compressed (permessage-deflate).
        var rsv1 = false
        var text: String { String(decoding: payload, as: UTF8.self) }
        var closeCode: Int? { opcode == 8 && payload.count >= 2 ? Int(payload[0]) << 8 | Int(payload[1]) : nil }
        var closeReason: String { String(decoding: payload.dropFirst(2), as: UTF8.self) }
    }

    /// A masked client frame.
    static func client(_ opcode: UInt8, _ payload: [UInt8], fin: Bool = true, rsv1: Bool = false) -> [UInt8] {
        let mask: [UInt8] = [0x11, 0x22, 0x33, 0x44]
        var out: [UInt8] = [(fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode]
        if payload.count < 126 {
            out.append(0x80 | UInt8(payload.count))
        } else {
            out.append(0x80 | 126)
            out += [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        }
        out += mask
        out += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        return out
    }

    static func text(_ text: String) -> [UInt8] { client(1, Array(text.utf8)) }
    static func close(_ code: UInt16, _ reason: String = "") -> [UInt8] {
        client(8, [UInt8(code >> 8), UInt8(code & 0xFF)] + Array(reason.utf8))
    }

    /// Splits bytes into the HTTP head (up to the blank line) and what follows.
    static func splitHead(_ bytes: [UInt8]) -> (head: String, rest: [UInt8])? {
        let marker: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where Array(bytes[i..<i + 4]) == marker {
            return (String(decoding: bytes[..<i], as: UTF8.self), Array(bytes[(i + 4)...]))
        }
        return nil
    }

    /// Parses unmasked server frames; stops at an incomplete one.
    static func parse(_ bytes: [UInt8]) -> [Frame] {
        var frames: [Frame] = []
        var i = 0
        while i + 2 <= bytes.count {
            let fin = bytes[i] & 0x80 != 0
            let rsv1 = bytes[i] & 0x40 != 0
            let opcode = bytes[i] & 0x0F
            var length = Int(bytes[i + 1] & 0x7F)
            var offset = i + 2
            if length == 126 {
                guard offset + 2 <= bytes.count else { break }
                length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
                offset += 2
            } else if length == 127 {
                guard offset + 8 <= bytes.count else { break }
                length = bytes[offset..<offset + 8].reduce(0) { $0 << 8 | Int($1) }
                offset += 8
            }
            guard offset + length <= bytes.count else { break }
            frames.append(Frame(fin: fin, opcode: opcode, payload: Array(bytes[offset..<offset + length]), rsv1: rsv1))
            i = offset + length
        }
        return frames
    }

    static func handshake(_ target: String, headers: [String] = []) -> String {
        (["GET \(target) HTTP/1.1", "Host: 127.0.0.1", "Upgrade: websocket", "Connection: Upgrade",
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"] + headers)
            .joined(separator: "\r\n") + "\r\n\r\n"
    }
}
