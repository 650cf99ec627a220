import NIOCore

/// Sits right after TLS (or first) in both pipelines of a proxied
/// connection. While HTTP is spoken it passes bytes on to the HTTP decoder;
/// once the connection is upgraded it hands every received buffer to
/// `splice`, and `send` writes bytes out below the HTTP handlers, so frames
/// cross the proxy as they arrive, unparsed and unbuffered.
final class RawByteRelay: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?
    private var splice: ((ByteBuffer) -> Void)?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func startSplicing(_ splice: @escaping (ByteBuffer) -> Void) { self.splice = splice }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let splice else {
            context.fireChannelRead(data)
            return
        }
        splice(unwrapInboundIn(data))
    }

    func send(_ buffer: ByteBuffer) {
        guard let context else { return }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }
}

/// Receives the bytes an HTTP decoder had buffered past the upgrade when it
/// is removed (`RemoveAfterUpgradeStrategy.forwardBytes`).
final class LeftoverBytesCatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let receive: (ByteBuffer) -> Void

    init(_ receive: @escaping (ByteBuffer) -> Void) { self.receive = receive }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        receive(unwrapInboundIn(data))
    }
}
