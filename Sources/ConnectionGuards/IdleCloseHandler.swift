public import NIOCore

/// Closes a connection that saw no reads or writes for the idle timeout
/// (behind NIO's `IdleStateHandler`).
public final class IdleCloseHandler: ChannelInboundHandler {
    public typealias InboundIn = NIOAny

    public init() {}

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
