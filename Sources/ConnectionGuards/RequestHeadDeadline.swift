public import NIOCore

/// The slowloris defence: a request head must arrive in full within
/// `timeout` of its first byte, or the connection is closed. The idle
/// timeout cannot do this, since a byte every few seconds keeps a connection
/// busy. Sits in front of the HTTP decoder, on raw bytes; the handlers that
/// see whole heads say when one is complete and when its answer went out,
/// and it leaves the pipeline once the connection is a WebSocket.
public final class RequestHeadDeadline: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer

    private enum Phase {
        /// Between requests: the next byte starts a head.
        case idle
        case receivingHead
        /// The head is complete; its body and answer take as long as they take.
        case answering
    }

    private let timeout: TimeAmount
    private let log: (@Sendable (String) -> Void)?
    private var phase = Phase.idle
    private var timer: Scheduled<Void>?

    public init(timeout: TimeAmount, log: (@Sendable (String) -> Void)?) {
        self.timeout = timeout
        self.log = log
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if phase == .idle {
            phase = .receivingHead
            let peer = context.remoteAddress?.description ?? "?"
            let seconds = Double(timeout.nanoseconds) / 1e9
            timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [log] in
                log?("connection from \(peer) closed: request head not complete within \(seconds) s")
                context.close(promise: nil)
            }
        }
        context.fireChannelRead(data)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        context.fireChannelInactive()
    }

    public func headReceived() {
        timer?.cancel()
        timer = nil
        phase = .answering
    }

    public func answerSent() {
        if phase == .answering { phase = .idle }
    }
}
