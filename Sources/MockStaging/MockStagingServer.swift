public import Foundation
public import NIOCore
public import NIOHTTP1
public import NIOPosix
public import NIOWebSocket
import NIOSSL
import ConnectionGuards
public import TrafficModel

/// Serves recordings as a mock staging server: HTTP exchanges replayed,
/// WebSocket sessions run as scripts, on its own SwiftNIO pipeline so that a
/// recorded 401 before an upgrade is answered as recorded.
///
/// ```swift
/// let server = try await MockStagingServer.start(recordings: [recording])
/// // … point the client at server.baseURL …
/// try await server.stop()
/// ```
///
/// Limits (see `Configuration`): `maxMessageSize` for request bodies and
/// WebSocket messages, `maxConnections` open at once, `idleTimeout` per
/// connection. The server never opens an outbound connection.
public final class MockStagingServer: Sendable {
    public let host: String
    public let port: Int
    /// `https://…` when serving TLS (`Configuration.tls`).
    public let scheme: String
    public var baseURL: String { "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)" }

    let state: SharedState
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel

    private init(host: String, port: Int, scheme: String, state: SharedState, group: MultiThreadedEventLoopGroup, channel: Channel) {
        self.host = host
        self.scheme = scheme
        self.port = port
        self.state = state
        self.group = group
        self.channel = channel
    }

    /// Starts serving recordings, named by their source name in explanations.
    public static func start(recordings: [Recording], configuration: Configuration = Configuration()) async throws -> MockStagingServer {
        try await start(named: recordings.map { (name: $0.source.name, recording: $0) }, configuration: configuration)
    }

    /// Starts serving recordings, each with the name used in explanations (its file name).
    public static func start(named recordings: [(name: String, recording: Recording)], configuration: Configuration = Configuration()) async throws -> MockStagingServer {
        guard configuration.maxMessageSize > 0, configuration.maxMessageSize <= Int(UInt32.max),
              configuration.maxConnections > 0, configuration.idleTimeout > 0, configuration.headTimeout > 0
        else {
            throw MockStagingError(.invalidConfiguration, "maxMessageSize, maxConnections, idleTimeout and headTimeout must be positive")
        }
        var tls: NIOSSLContext?
        if let files = configuration.tls {
            do {
                tls = try files.context()
            } catch {
                throw MockStagingError(.invalidConfiguration, error.description)
            }
        }
        let state = SharedState(replay: MockReplay(named: recordings, configuration: configuration), configuration: configuration)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, min(4, System.coreCount)))
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try ConnectionPipeline.configure(channel, state: state)
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            try? await group.shutdownGracefully()
            throw MockStagingError(.bindFailed, "cannot listen on \(configuration.host):\(configuration.port): \(error)")
        }
        let port = channel.localAddress?.port ?? configuration.port
        return MockStagingServer(host: configuration.host, port: port, scheme: tls == nil ? "http" : "https", state: state, group: group, channel: channel)
    }

    /// Stops listening, closes every open connection and releases the threads.
    public func stop() async throws {
        try? await channel.close()
        for child in state.openChannels() { try? await child.close() }
        try await group.shutdownGracefully()
    }

    /// What the mock did so far.
    public var journal: [JournalEntry] { state.withReplay { $0.journal } }

    /// Forgets replay positions, issued tokens and the journal.
    public func reset() { state.withReplay { $0.reset() } }
}

extension MockReplay {
    /// The decisions for `recordings` as `configuration` asks: the matcher,
    /// and with a test key the mint and the authority judging tokens naming it.
    public init(named recordings: [(name: String, recording: Recording)], configuration: MockStagingServer.Configuration) {
        let locator = configuration.redactionRules.credentialLocator
        var mint: TokenMint?
        var authority: TokenAuthority?
        if let signing = configuration.signing {
            mint = TokenMint(signing: signing, documents: KeyDocuments(recordings: recordings.map(\.recording)))
            var (issuers, audiences) = TokenAuthority.issuedClaims(in: recordings.map(\.recording), locator: locator)
            if let issuer = signing.issuer { issuers.insert(issuer) }
            authority = TokenAuthority(keyID: signing.keyID, verifier: signing.verifier, issuers: issuers, audiences: audiences)
        }
        let matcher = ExchangeMatcher(
            recordings: recordings, classifier: AuthClassifier(locator: locator, verifier: configuration.verifier, authority: authority),
            options: configuration.matcherOptions, redactionRules: configuration.redactionRules
        )
        self.init(matcher: matcher, recordingCount: recordings.count, settings: configuration.settings, mint: mint)
    }
}

/// The state every connection shares: the replay decisions (under a lock,
/// because connections run on several event loops) and the open channels.
final class SharedState: @unchecked Sendable {
    private let lock = NSLock()
    private var replay: MockReplay
    private var channels: [ObjectIdentifier: Channel] = [:]
    /// Held Engine.IO polling GETs by live sid: each asks again once a request of its session was handled.
    private var held: [String: [@Sendable () -> Void]] = [:]
    let configuration: MockStagingServer.Configuration

    /// Reduces requests for matching without the lock (fixed at load, so shared freely).
    private let preparer: ExchangeMatcher.Preparer

    init(replay: MockReplay, configuration: MockStagingServer.Configuration) {
        self.replay = replay
        self.configuration = configuration
        self.preparer = replay.matcher.preparer
    }

    func withReplay<T>(_ body: (inout MockReplay) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&replay)
    }

    /// Decides and logs the answer to a request.
    /// - Parameter wake: for a `.hold`, called (on any thread) once another
    ///   request of the same Engine.IO session was handled; registered under
    ///   the same lock as the decision, so no such request slips in between.
    func handle(_ request: HTTPRequest, canUpgrade: Bool, wake: (@Sendable () -> Void)? = nil) -> MockReplay.Decision {
        let now = configuration.wallClock()
        // The pure half of matching, before the lock every connection shares.
        let prepared = configuration.signing == nil ? preparer.prepare(request) : nil
        let (decision, entry, woken) = withReplay { replay in
            let before = replay.journal.count
            let decision = replay.handle(request, now: now, canUpgrade: canUpgrade, prepared: prepared)
            var woken: [@Sendable () -> Void] = []
            if case .hold(let sid, _) = decision {
                if let wake { held[sid, default: []].append(wake) }
            } else if let sid = MockReplay.engineIOSessionID(request) {
                woken = held.removeValue(forKey: sid) ?? []
            }
            return (decision, replay.journal.count > before ? replay.journal.last : nil, woken)
        }
        if let entry { configuration.log?(entry.logLine) }
        for wake in woken { wake() }
        return decision
    }

    /// A held long-poll of live Engine.IO session `sid` was answered with a ping: its pong is now due.
    func sentPollingPing(engineIOSession sid: String) {
        let now = configuration.wallClock()
        withReplay { $0.sentPollingPing(engineIOSession: sid, at: now) }
    }

    /// A server message as sent: tokens re-signed with the test key, if any.
    func signed(_ message: WebSocketMessage, epoch: Double?) -> WebSocketMessage {
        guard let epoch, configuration.signing != nil else { return message }
        let now = configuration.wallClock()
        return withReplay { $0.signed(message, handedOutAt: epoch + message.at, now: now) }
    }

    /// A client message with the tokens the mock minted mapped back.
    func restore(_ message: WebSocketMessage) -> WebSocketMessage {
        withReplay { $0.restore(message) }
    }

    /// The run as a session tree sees it when a client message arrives.
    func sessionContext() -> SessionTree.Context {
        let now = configuration.wallClock()
        return withReplay { $0.sessionContext(now: now) }
    }

    /// Moves the pool's serving to the session a client's messages chose, and journals it.
    func chose(_ chosen: RecordedReference, released: RecordedReference?, remaining: Int) {
        let entry = withReplay { replay in
            replay.chose(chosen, released: released, remaining: remaining)
            return replay.journal.last
        }
        if let entry { configuration.log?(entry.logLine) }
    }

    func record(_ entry: JournalEntry) {
        withReplay { $0.record(entry) }
        configuration.log?(entry.logLine)
    }

    /// Registers a new connection; false when the limit is reached.
    func admit(_ channel: Channel) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard channels.count < configuration.maxConnections else { return false }
        channels[ObjectIdentifier(channel)] = channel
        return true
    }

    func remove(_ channel: Channel) {
        lock.lock()
        defer { lock.unlock() }
        channels[ObjectIdentifier(channel)] = nil
    }

    func openChannels() -> [Channel] {
        lock.lock()
        defer { lock.unlock() }
        return Array(channels.values)
    }
}
