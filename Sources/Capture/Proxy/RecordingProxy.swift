public import NIOCore
public import NIOPosix
public import NIOSSL
public import Synchronization
public import TrafficModel
public import Wire

/// A recording reverse proxy: clients connect to it (plain, or TLS with
/// `clientTLS`), each client connection gets its own upstream connection
/// (plain or TLS), and every HTTP exchange and WebSocket session is forwarded
/// and recorded in the same form Capture produces.
///
/// ```swift
/// let proxy = try await RecordingProxy.start(configuration: .init(listenPort: 0, upstream: target))
/// // … point the client at proxy.baseURL …
/// let recording = try await proxy.stop()
/// ```
///
/// Faithfulness and its limits:
/// - request fields are forwarded in order and case, with `Host` rewritten
///   to the upstream's authority; bodies are streamed part by part.
/// - `Sec-WebSocket-Extensions` is removed from forwarded upgrade requests,
///   so permessage-deflate is never negotiated and both sides speak
///   uncompressed frames; the recording keeps the client's original offer.
/// - after a 101 the bytes are spliced both ways as they arrive; a copy of
///   each direction goes through `WebSocketFrameParser`.
/// - a refused upgrade (any answer but 101) is forwarded, then the client
///   connection is closed: the HTTP decoder stopped at the upgrade request.
/// - an unreachable upstream (refused, TLS failure, connect timeout, closed
///   before answering) is answered with a 502 and a JSON body
///   `{"error":"upstream_unreachable","detail":…}`, recorded with an
///   `upstream-error` anomaly.
/// - no flow control between the two sides: a fast sender to a slow reader
///   is buffered in the proxy.
public final class RecordingProxy: Sendable {
    public let configuration: Configuration
    public let host: String
    public let port: Int
    public var baseURL: String { "\(configuration.clientTLS == nil ? "http" : "https")://\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    let store: ProxyRecordingStore
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    private let registry: ChannelRegistry
    private let stopped = Mutex<Recording?>(nil)

    private init(configuration: Configuration, port: Int, store: ProxyRecordingStore, group: MultiThreadedEventLoopGroup, channel: Channel, registry: ChannelRegistry) {
        self.configuration = configuration
        self.host = configuration.listenHost
        self.port = port
        self.store = store
        self.group = group
        self.channel = channel
        self.registry = registry
    }

    /// - Parameter output: where finished sessions go as they end (`record`
    ///   streams them to disk); nil keeps them for `recording()` and `stop()`.
    public static func start(
        configuration: Configuration, output: RecordingOutput? = nil, clock: @escaping @Sendable () -> Double = Timestamp.wallClock
    ) async throws -> RecordingProxy {
        guard (0...65535).contains(configuration.listenPort), configuration.connectTimeout > 0, configuration.maxConnections > 0,
              configuration.idleTimeout > 0, configuration.headTimeout > 0, configuration.recordingBudget > 0 else {
            throw CaptureError(.invalidConfiguration, "the listen port must be 0…65535, the limits and timeouts positive")
        }
        let upstreamTLS = try ProxyTLS.upstreamContext(configuration)
        let clientTLS = try ProxyTLS.clientContext(configuration)
        var sink: ProxyRecordingStore.Sink?
        if let output {
            sink = { session, capturedAt in output.put(session, capturedAt: capturedAt) }
        }
        let store = ProxyRecordingStore(
            budget: configuration.recordingBudget, verifier: configuration.verifier, locator: configuration.locator, sink: sink, log: configuration.log, clock: clock
        )
        let settings = ProxyConnection.Settings(configuration: configuration, upstreamTLS: upstreamTLS, store: store)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, min(4, System.coreCount)))
        let registry = ChannelRegistry()
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard registry.admit(channel, limit: configuration.maxConnections) else {
                        configuration.log?("connection from \(channel.remoteAddress?.description ?? "?") refused: \(configuration.maxConnections) connections already open")
                        channel.close(promise: nil)
                        return
                    }
                    try ProxyConnection.configureClient(channel, settings: settings, tls: clientTLS)
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.bind(host: configuration.listenHost, port: configuration.listenPort).get()
        } catch {
            try? await group.shutdownGracefully()
            throw CaptureError(.bindFailed, "cannot listen on \(configuration.listenHost):\(configuration.listenPort): \(error)")
        }
        return RecordingProxy(
            configuration: configuration, port: channel.localAddress?.port ?? configuration.listenPort,
            store: store, group: group, channel: channel, registry: registry
        )
    }

    /// What was recorded so far; sessions still open have no `end` yet.
    public func recording() -> Recording {
        makeRecording(store.sessions())
    }

    /// Stops listening, ends open sessions as `cut`, closes every connection
    /// and returns the recording with its auth findings (its sessions went
    /// to the output when there is one). Calling it again returns the same
    /// recording.
    @discardableResult
    public func stop() async throws -> Recording {
        if let done = stopped.withLock({ $0 }) { return done }
        try? await channel.close()
        let recording = makeRecording(store.stop())
        for child in registry.channels.withLock({ Array($0.values) }) { try? await child.close() }
        try? await group.shutdownGracefully()
        stopped.withLock { $0 = recording }
        return recording
    }

    private func makeRecording(_ sessions: [Session]) -> Recording {
        Recording(
            source: Source(kind: .proxy, name: configuration.upstream.description, tool: configuration.tool),
            capturedAt: store.capturedAt, sessions: sessions
        )
    }
}

/// The open client channels, so `stop` can close them.
private final class ChannelRegistry: Sendable {
    let channels = Mutex<[ObjectIdentifier: Channel]>([:])

    /// Registers a new connection; false when `limit` are already open.
    func admit(_ channel: Channel, limit: Int) -> Bool {
        let admitted = channels.withLock { open in
            guard open.count < limit else { return false }
            open[ObjectIdentifier(channel)] = channel
            return true
        }
        guard admitted else { return false }
        channel.closeFuture.whenComplete { [self] _ in
            _ = channels.withLock { $0.removeValue(forKey: ObjectIdentifier(channel)) }
        }
        return true
    }
}
