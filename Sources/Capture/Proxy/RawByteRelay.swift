import NIOCore

/// Sits right after TLS (or first) in both pipelines of a proxied
/// connection. Every received buffer is shown to `observe` (the recording:
/// the bytes exactly as that side sent them). While HTTP is spoken it passes
/// bytes on to the HTTP decoder; once the connection is upgraded it hands
/// every received buffer to `splice`, and `send` writes bytes out below the
/// HTTP handlers, so frames cross the proxy as they arrive, unparsed and
/// unbuffered.
final class RawByteRelay: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?
    private var splice: ((ByteBuffer) -> Void)?
    /// The relay of the other side, whose reading stops while this side's
    /// channel cannot take more (a fast sender, a slow reader): flow control,
    /// so the proxy never buffers without bound. Both run on one event loop.
    weak var source: RawByteRelay?
    private let observe: (ByteBuffer) -> Void

    init(observe: @escaping (ByteBuffer) -> Void) { self.observe = observe }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func startSplicing(_ splice: @escaping (ByteBuffer) -> Void) { self.splice = splice }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        observe(unwrapInboundIn(data))
        guard let splice else {
            context.fireChannelRead(data)
            return
        }
        splice(unwrapInboundIn(data))
    }

    func send(_ buffer: ByteBuffer) {
        guard let context else { return }
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
        pauseSourceIfFull()
    }

    /// Stops reading the other side while this channel's outbound buffer is
    /// over its high-water mark (the proxy's HTTP body writes call it too).
    func pauseSourceIfFull() {
        guard let context, !context.channel.isWritable else { return }
        source?.setReading(false)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { source?.setReading(true) }
        context.fireChannelWritabilityChanged()
    }

    private func setReading(_ on: Bool) {
        guard let context else { return }
        try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: on)
        if on { context.read() }
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
