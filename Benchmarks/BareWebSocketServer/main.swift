// The ceiling for the server benchmarks: a bare SwiftNIO WebSocket server
// doing the benchmark exchange with no recording and no matching. For every
// text message `{"type":"msg","n":N}` it answers `{"type":"echo","n":N}`;
// it answers a close with a close. Prints `listening on http://HOST:PORT`.
//
// usage: bench-ws-server [PORT]
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

final class EchoHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    private var text = ByteBuffer()

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .continuation:
            var payload = frame.unmaskedData
            text.writeBuffer(&payload)
            guard frame.fin else { return }
            let body = text.readString(length: text.readableBytes) ?? ""
            text.clear()
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

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 0 : 0
let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
let upgrader = NIOWebSocketServerUpgrader(
    shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
    upgradePipelineHandler: { channel, _ in channel.pipeline.addHandler(EchoHandler()) }
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
