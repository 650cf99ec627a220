import AsyncHTTPClient
import Foundation
import HTTPTypes
import Logging
import MockStaging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import TestSupport
import TrafficModel
import WSClient
import XCTest

/// What a WebSocket client saw: text messages in order and the close frame.
struct WebSocketOutcome: Sendable {
    var texts: [String]
    var closeCode: WebSocketErrorCode?
    var closeReason: String?
}

enum Clients {
    static let logger = Logger(label: "mock-staging-tests")

    /// Connects with swift-websocket's client. `first` is sent as soon as the
    /// connection is open; `reply` is called with each text message received
    /// and returns the messages to send back.
    static func webSocket(
        _ url: String, authorization: String? = nil, first: [String] = [],
        reply: @escaping @Sendable (String) -> [String] = { _ in [] }
    ) async throws -> WebSocketOutcome {
        var fields = HTTPFields()
        if let authorization { fields[.authorization] = authorization }
        let headers = fields
        let texts = Box<[String]>([])
        let close = try await withDeadline(10) {
            try await WebSocketClient.connect(
                url: url, configuration: WebSocketClientConfiguration(additionalHeaders: headers, closeTimeout: .seconds(3)),
                logger: logger
            ) { inbound, outbound, _ in
                for text in first { try await outbound.write(.text(text)) }
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message else { continue }
                    texts.update { $0.append(text) }
                    for answer in reply(text) { try await outbound.write(.text(answer)) }
                }
            }
        }
        return WebSocketOutcome(texts: texts.value, closeCode: close?.closeCode, closeReason: close?.reason)
    }

    struct Response {
        var status: Int
        var headers: [(String, String)]
        var body: String
    }

    /// An upgrade request that is refused, sent over a raw socket (AsyncHTTPClient
    /// does not send WebSocket handshakes). Waits for the whole fixed-length body.
    static func refusedUpgrade(port: Int, _ target: String, headers: [String] = []) async throws -> Response {
        let connection = try await RawConnection.connect(port: port)
        defer { Task { await connection.close() } }
        try await connection.send(RawFrames.handshake(target, headers: headers))
        var parsed: Response?
        await connection.wait { bytes, _ in
            guard let (head, rest) = RawFrames.splitHead(bytes) else { return false }
            let lines = head.split(separator: "\r\n").map(String.init)
            let fields = lines.dropFirst().compactMap { line -> (String, String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            let length = fields.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) } ?? 0
            guard rest.count >= length else { return false }
            let status = lines.first?.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
            parsed = Response(status: status, headers: fields, body: String(decoding: rest.prefix(length), as: UTF8.self))
            return true
        }
        guard let parsed else { throw TestTimeout(seconds: 5) }
        return parsed
    }

    static func http(_ client: HTTPClient, _ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: String? = nil) async throws -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(5))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Response(
            status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
            body: String(buffer: bytes)
        )
    }
}

