// The ceiling for the server benchmarks: a bare SwiftNIO WebSocket server
// doing the benchmark exchange with no recording and no matching. For every
// text message `{"type":"msg","n":N}` it answers `{"type":"echo","n":N}`;
// it answers a close with a close. Prints `listening on http://HOST:PORT`.
//
// With --bearer, issue 19's session shape: the handshake must carry
// `Authorization: Bearer ...` (checked for presence only: no JWT decoding, no
// matching; else the upgrade is refused), and each text message
// `{"type":"msg","n":N}` is answered by `{"type":"ack","n":N}` then
// `{"type":"echo","n":N}`.
//
// usage: bench-ws-server [PORT] [--bearer]
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

final class EchoHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    private var text = ByteBuffer()
    /// `--bearer`: answer each message with an ack before the echo.
    private let acknowledges: Bool

    init(acknowledges: Bool) {
        self.acknowledges = acknowledges
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .continuation:
            var payload = frame.unmaskedData
            text.writeBuffer(&payload)
            guard frame.fin else { return }
            let body = text.readString(length: text.readableBytes) ?? ""
            text.clear()
            if acknowledges {
                let ack = context.channel.allocator.buffer(string: body.replacingOccurrences(of: "\"msg\"", with: "\"ack\""))
                context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: ack)), promise: nil)
            }
            let reply = body.replacingOccurrences(of: "\"msg\"", with: "\"echo\"")
            let out = context.channel.allocator.buffer(string: reply)
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: out)), promise: nil)
        case .connectionClose:
            var data = frame.unmaskedData
            let code = data.readInteger(as: UInt16.self) ?? 1000
            var out = context.channel.allocator.buffer(capacity: 2)
            out.writeInteger(code)
            let close = WebSocketFrame(fin: true, opcode: .connectionClose, data: out)
            context.writeAndFlush(wrapOutboundOut(close)).whenComplete { _ in context.close(promise: nil) }
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        default:
            break
        }
    }
}

let arguments = CommandLine.arguments.dropFirst()
let bearer = arguments.contains("--bearer")
let port = arguments.first { $0 != "--bearer" }.flatMap { Int($0) } ?? 0
let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
let upgrader = NIOWebSocketServerUpgrader(
    shouldUpgrade: { channel, head in
        // nil refuses the upgrade (NIO answers it with an error status).
        let allowed = !bearer || head.headers["Authorization"].contains { $0.hasPrefix("Bearer ") }
        return channel.eventLoop.makeSucceededFuture(allowed ? HTTPHeaders() : nil)
    },
    upgradePipelineHandler: { channel, _ in channel.pipeline.addHandler(EchoHandler(acknowledges: bearer)) }
)
let bootstrap = ServerBootstrap(group: group)
    .serverChannelOption(ChannelOptions.backlog, value: 1024)
    .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
    .childChannelInitializer { channel in
        channel.pipeline.configureHTTPServerPipeline(withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
    }
let channel = try bootstrap.bind(host: "127.0.0.1", port: port).wait()
FileHandle.standardOutput.write(Data("listening on http://127.0.0.1:\(channel.localAddress!.port!)\n".utf8))
try channel.closeFuture.wait()
