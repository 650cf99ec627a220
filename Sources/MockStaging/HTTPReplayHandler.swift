import ConnectionGuards
import NIOCore
import NIOHTTP1
import TrafficModel

/// Answers HTTP requests with recorded responses (or explanations). Requests
/// arrive one at a time: NIO's pipelining handler holds the next one back
/// until this one's response is complete, so pipelined answers keep order.
final class HTTPReplayHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let state: SharedState
    private let slot: NIOLoopBound<UpgradeSlot>
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false
    /// A 100 Continue already went out for this request (it had Expect: 100-continue).
    private var sentContinue = false
    /// After a request that asked for an upgrade that was not done: restarts
    /// the request decoder (NIO's stops after such a request) and makes the
    /// next request eligible for an upgrade again.
    private let rearmUpgrade: (ChannelPipeline.SynchronousOperations, Bool) -> Void
    /// An Engine.IO polling GET waiting for its recorded answer to be due
    /// (`MockReplay.Decision.hold`), with the timer that answers a ping instead.
    private var held: (head: HTTPRequestHead, body: [UInt8], sid: String, timer: Scheduled<Void>)?

    init(state: SharedState, slot: NIOLoopBound<UpgradeSlot>, rearmUpgrade: @escaping (ChannelPipeline.SynchronousOperations, Bool) -> Void) {
        self.state = state
        self.slot = slot
        self.rearmUpgrade = rearmUpgrade
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            slot.value.headDeadline.headReceived()
            self.head = head
            body = []
            tooLarge = false
            sentContinue = false
            // A client that expects 100-continue may hold its body back until
            // it sees one (RFC 9110 §10.1.1), and the body decides the match:
            // answer 100 now. A recorded 100 Continue is then not sent again.
            if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                sentContinue = true
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .continue))), promise: nil)
            }
        case .body(var buffer):
            if body.count + buffer.readableBytes > state.configuration.maxMessageSize {
                tooLarge = true
            } else if let bytes = buffer.readBytes(length: buffer.readableBytes) {
                body += bytes
            }
        case .end:
            guard let head else { return }
            self.head = nil
            if tooLarge {
                let response = ReplayedResponse.json(status: 413, reason: "Payload Too Large", .object([
                    ("error", .string("request body larger than the mock's limit of \(state.configuration.maxMessageSize) bytes")),
                ]))
                state.configuration.log?("\(head.method.rawValue) \(head.uri) → 413 (body over \(state.configuration.maxMessageSize) bytes)")
                write(response, keepAlive: false, request: head, context: context)
                return
            }
            let decision: MockReplay.Decision
            if let pending = slot.value.pending {
                slot.value.pending = nil
                decision = pending
            } else {
                decision = state.handle(HTTPRequest(head, body: body), canUpgrade: false, wake: wake(context: context))
            }
            perform(decision, head: head, body: body, context: context)
        }
    }

    private func perform(_ decision: MockReplay.Decision, head: HTTPRequestHead, body: [UInt8], context: ChannelHandlerContext) {
        switch decision {
        case .respond(let response, let delay):
            let keepAlive = head.isKeepAlive && !response.closeConnection
            if delay > 0 {
                context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(delay * 1_000_000_000))) {
                    self.write(response, keepAlive: keepAlive, request: head, context: context)
                }
            } else {
                write(response, keepAlive: keepAlive, request: head, context: context)
            }
        case .hold(let sid, let timeout):
            if let held { held.timer.cancel() }
            let timer = context.eventLoop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(timeout * 1_000_000_000))) {
                guard let held = self.held else { return }
                self.held = nil
                self.state.configuration.log?("\(held.head.method.rawValue) \(held.head.uri) → engine.io ping (nothing due within the \(Int((timeout * 1000).rounded())) ms pingInterval)")
                self.state.sentPollingPing(engineIOSession: held.sid)
                self.write(MockReplay.pollingPing, keepAlive: held.head.isKeepAlive, request: held.head, context: context)
            }
            held = (head, body, sid, timer)
        case .upgrade:
            // Not reachable: upgrades are decided with canUpgrade == false here.
            write(.json(status: 500, reason: "Internal Server Error", .object([("error", .string("unexpected upgrade"))])), keepAlive: false, request: head, context: context)
        }
    }

    /// Asks again for a held request's answer, on this channel's event loop.
    private func wake(context: ChannelHandlerContext) -> @Sendable () -> Void {
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        let loop = context.eventLoop
        return {
            loop.execute {
                let (handler, context) = bound.value
                handler.retryHeld(context: context)
            }
        }
    }

    private func retryHeld(context: ChannelHandlerContext) {
        guard let waiting = held, context.channel.isActive else { return }
        let decision = state.handle(HTTPRequest(waiting.head, body: waiting.body), canUpgrade: false, wake: wake(context: context))
        if case .hold = decision { return }  // still not due: the same timer runs on
        waiting.timer.cancel()
        held = nil
        perform(decision, head: waiting.head, body: waiting.body, context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        held?.timer.cancel()
        held = nil
        context.fireChannelInactive()
    }

    private func write(_ response: ReplayedResponse, keepAlive: Bool, request: HTTPRequestHead, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        // Before the end of this answer releases the next pipelined request.
        if keepAlive, Self.asksForUpgrade(request) { rearmUpgrade(context.pipeline.syncOperations, true) }
        var interim = response.interim
        if sentContinue, let first = interim.firstIndex(where: { $0.status == 100 }) { interim.remove(at: first) }
        for informational in interim {
            var headers = HTTPHeaders()
            for field in informational.headers { headers.add(name: field.name, value: field.value) }
            let status = HTTPResponseStatus(statusCode: informational.status, reasonPhrase: informational.reason)
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        }
        var headers = HTTPHeaders()
        for field in response.headers { headers.add(name: field.name, value: field.value) }
        let head = HTTPResponseHead(
            version: .http1_1, status: HTTPResponseStatus(statusCode: response.status, reasonPhrase: response.reason), headers: headers
        )
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let parts = response.parts {
            context.flush()
            writeParts(parts[...], startedAt: .now(), keepAlive: keepAlive, context: context)
            return
        }
        if !response.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        end(keepAlive: keepAlive, context: context)
    }

    private func end(keepAlive: Bool, context: ChannelHandlerContext) {
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        slot.value.headDeadline.answerSent()
        if !keepAlive {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    /// Each part flushed on its own at its offset from the head: scheduled
    /// against the head's time, not the previous write, so gaps do not drift.
    private func writeParts(_ parts: ArraySlice<StreamedPart>, startedAt: NIODeadline, keepAlive: Bool, context: ChannelHandlerContext) {
        var parts = parts
        while context.channel.isActive {
            guard let part = parts.first else {
                end(keepAlive: keepAlive, context: context)
                return
            }
            let due = startedAt + .nanoseconds(Int64(part.delay * 1_000_000_000))
            guard due <= .now() else {
                context.eventLoop.assumeIsolated().scheduleTask(deadline: due) {
                    self.writeParts(parts, startedAt: startedAt, keepAlive: keepAlive, context: context)
                }
                return
            }
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: part.bytes)))), promise: nil)
            parts = parts.dropFirst()
        }
    }

    /// llhttp's rule for an upgrade request (after which NIO's decoder stops):
    /// an Upgrade header and "upgrade" among the Connection options.
    static func asksForUpgrade(_ head: HTTPRequestHead) -> Bool {
        !head.headers[canonicalForm: "upgrade"].isEmpty
            && head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
    }
}
