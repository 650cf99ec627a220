import Capture
import NIOCore
import NIOPosix
import Synchronization
import TestSupport
import XCTest

/// Flow control: a fast upstream answering a client that does not read is
/// held back by TCP, through the proxy, instead of filling the proxy's memory.
final class RecordingProxyFlowControlTests: XCTestCase {
    /// Answers any request with a `total`-byte body, written chunk after
    /// chunk as fast as the connection takes them; counts what was flushed.
    final class FloodingUpstream: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        static let chunk = 64 << 10
        let total: Int
        let flushed: FlushedBytes
        private var sent = 0

        init(total: Int, flushed: FlushedBytes) {
            self.total = total
            self.flushed = flushed
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard sent == 0 else { return }
            context.write(wrapOutboundOut(ByteBuffer(string: "HTTP/1.1 200 OK\r\nContent-Length: \(total)\r\n\r\n")), promise: nil)
            pump(context: context)
        }

        private func pump(context: ChannelHandlerContext) {
            guard sent < total, context.channel.isActive else { return }
            sent += Self.chunk
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(repeating: 0x61, count: Self.chunk))).assumeIsolated().whenSuccess {
                self.flushed.value.withLock { $0 += Self.chunk }
                self.pump(context: context)
            }
        }
    }

    func testAFastUpstreamToAClientThatDoesNotReadIsHeldBack() async throws {
        let total = 512 << 20
        let flushed = FlushedBytes()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(FloodingUpstream(total: total, flushed: flushed))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try XCTUnwrap(server.localAddress?.port)
        let proxy = try await RecordingProxy.start(configuration: RecordingProxy.Configuration(
            listenHost: "127.0.0.1", listenPort: 0, upstream: UpstreamTarget(scheme: .http, host: "127.0.0.1", port: port), tool: "authreplay tests"
        ))
        let client = try RecordingProxyLimitsTests.Socket(port: proxy.port)
        client.send("GET /export HTTP/1.1\r\nHost: staging\r\n\r\n")
        // Wait until the upstream stalls: no progress over 300 ms (bounded by 10 s).
        var last = -1
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            try await Task.sleep(for: .milliseconds(300))
            let now = flushed.value.withLock { $0 }
            if now == last || now >= total { break }
            last = now
        }
        let stalledAt = flushed.value.withLock { $0 }
        try await proxy.stop()
        try await server.close()
        XCTAssertGreaterThan(stalledAt, 0, "the upstream started answering")
        XCTAssertLessThan(stalledAt, 64 << 20, "the upstream was held back after \(stalledAt >> 20) MiB (socket buffers), not read into the proxy's memory")
    }
}

/// The bytes the flooding upstream flushed, shared with the test.
final class FlushedBytes: Sendable {
    let value = Mutex(0)
}
