import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import TrafficModel

/// The example staging service: a small auth service like the ones our users
/// run (login, a profile endpoint, an agent WebSocket), on its own SwiftNIO
/// pipeline so that it can refuse an upgrade with 401.
///
/// ```swift
/// let service = try await StagingService.start(configuration: .init(regression: .userContext))
/// // … point a client at service.baseURL …
/// try await service.stop()
/// ```
public final class StagingService: Sendable {
    public let host: String
    public let port: Int
    public var baseURL: String { "http://\(host.contains(":") ? "[\(host)]" : host):\(port)" }
    public var webSocketURL: String { "ws://\(host.contains(":") ? "[\(host)]" : host):\(port)/ws" }
    public let configuration: Configuration

    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel
    private let connections: OpenConnections

    private init(host: String, port: Int, configuration: Configuration, group: MultiThreadedEventLoopGroup, channel: Channel, connections: OpenConnections) {
        self.host = host
        self.port = port
        self.configuration = configuration
        self.group = group
        self.channel = channel
        self.connections = connections
    }

    public static func start(configuration: Configuration = Configuration()) async throws -> StagingService {
        guard configuration.secret.utf8.count >= 32 else {
            throw StagingServiceError("the HS256 secret must be at least 32 bytes, got \(configuration.secret.utf8.count)")
        }
        guard configuration.tokenLifetime > 0 else { throw StagingServiceError("tokenLifetime must be positive") }
        let api = StagingAPI(configuration: configuration)
        let connections = OpenConnections()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, min(2, System.coreCount)))
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    connections.add(channel)
                    try StagingPipeline.configure(channel, api: api)
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        } catch {
            try? await group.shutdownGracefully()
            throw StagingServiceError("cannot listen on \(configuration.host):\(configuration.port): \(error)")
        }
        let port = channel.localAddress?.port ?? configuration.port
        return StagingService(host: configuration.host, port: port, configuration: configuration, group: group, channel: channel, connections: connections)
    }

    /// Stops listening, closes every open connection and releases the threads.
    public func stop() async throws {
        try? await channel.close()
        for child in connections.all() { try? await child.close() }
        try await group.shutdownGracefully()
    }

    /// A token as `POST /auth/token` issues it, for tests (an expired one: `issuedAt` in the past).
    public static func mintToken(
        sub: String = User.alice.username, email: String = User.alice.email, role: String = User.alice.role,
        secret: String = Configuration.defaultSecret, issuedAt: Int, lifetime: Int = 3600, issuer: String = Configuration.defaultIssuer
    ) -> String {
        StagingTokens.mint(sub: sub, email: email, role: role, secret: secret, issuedAt: issuedAt, lifetime: lifetime, issuer: issuer)
    }
}

public struct StagingServiceError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// The connections open now, closed by `stop()`.
final class OpenConnections: @unchecked Sendable {
    private let lock = NSLock()
    private var channels: [ObjectIdentifier: Channel] = [:]

    func add(_ channel: Channel) {
        lock.withLock { channels[ObjectIdentifier(channel)] = channel }
        channel.closeFuture.whenComplete { _ in
            self.lock.withLock { self.channels[ObjectIdentifier(channel)] = nil }
        }
    }

    func all() -> [Channel] { lock.withLock { Array(channels.values) } }
}
