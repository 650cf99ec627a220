import AsyncHTTPClient
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import TestSupport
import TrafficModel
import WSClient
import XCTest

/// What a WebSocket client saw: messages in order (binary ones as `binary:<hex>`) and the close frame.
struct WebSocketOutcome: Sendable {
    var texts: [String]
    var closeCode: WebSocketErrorCode?
    var closeReason: String?

    var json: [JSONValue] { texts.compactMap { try? JSONParser.parse($0) } }
    var types: [String] { json.compactMap { $0["type"]?.stringValue } }
}

/// What a client sends back on receiving a message.
enum ClientReply: Sendable {
    case text(String)
    case binary([UInt8])
    /// End the session (the client sends a normal close).
    case close
}

enum Clients {
    static let logger = Logger(label: "end-to-end-tests")

    /// Connects with swift-websocket's client; `reply` answers each received message.
    static func webSocket(
        _ url: String, headers: [(HTTPField.Name, String)] = [],
        reply: @escaping @Sendable (String) -> [ClientReply] = { _ in [] }
    ) async throws -> WebSocketOutcome {
        var fields = HTTPFields()
        for (name, value) in headers { fields[name] = value }
        let additional = fields
        let texts = Box<[String]>([])
        let close = try await withDeadline(10) {
            try await WebSocketClient.connect(
                url: url, configuration: WebSocketClientConfiguration(additionalHeaders: additional, closeTimeout: .seconds(3)),
                logger: logger
            ) { inbound, outbound, _ in
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    let text: String
                    switch message {
                    case .text(let t): text = t
                    case .binary(let buffer): text = "binary:" + buffer.readableBytesView.map { String(format: "%02x", $0) }.joined()
                    }
                    texts.update { $0.append(text) }
                    for answer in reply(text) {
                        switch answer {
                        case .text(let t): try await outbound.write(.text(t))
                        case .binary(let bytes): try await outbound.write(.binary(ByteBuffer(bytes: bytes)))
                        case .close: return
                        }
                    }
                }
            }
        }
        return WebSocketOutcome(texts: texts.value, closeCode: close?.closeCode, closeReason: close?.reason)
    }

    struct Response: Sendable {
        var status: Int
        var headers: [(String, String)]
        var body: String
        var json: JSONValue? { try? JSONParser.parse(body) }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    static func http(_ client: HTTPClient, _ method: NIOHTTP1.HTTPMethod, _ url: String, headers: [(String, String)] = [], body: String? = nil) async throws -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .seconds(5))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Response(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: String(buffer: bytes))
    }

    /// Sends a WebSocket handshake over a plain socket and returns the response
    /// head (and the body, when the server closes after it). AsyncHTTPClient
    /// does not send handshakes and WSClient hides refused ones.
    static func rawHandshake(port: Int, _ target: String, headers: [String] = []) async throws -> Response {
        let received = Box<[UInt8]>([])
        let closed = Box(false)
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(received: received, closed: closed))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        defer { channel.close(promise: nil) }
        let request = (["GET \(target) HTTP/1.1", "Host: 127.0.0.1:\(port)", "Upgrade: websocket", "Connection: Upgrade",
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"] + headers + ["", ""])
            .joined(separator: "\r\n")
        try await channel.writeAndFlush(ByteBuffer(string: request))
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        while ContinuousClock.now < deadline {
            let text = String(decoding: received.value, as: UTF8.self)
            if let end = text.range(of: "\r\n\r\n") {
                let head = text[..<end.lowerBound]
                let lines = head.split(separator: "\r\n").map(String.init)
                let fields = lines.dropFirst().compactMap { line -> (String, String)? in
                    guard let colon = line.firstIndex(of: ":") else { return nil }
                    return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
                }
                let status = lines.first?.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
                let length = fields.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) } ?? 0
                let body = String(text[end.upperBound...])
                if status == 101 || body.utf8.count >= length {
                    return Response(status: status, headers: fields, body: status == 101 ? "" : body)
                }
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw TestTimeout(seconds: 5)
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let received: Box<[UInt8]>
        let closed: Box<Bool>
        init(received: Box<[UInt8]>, closed: Box<Bool>) {
            self.received = received
            self.closed = closed
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.update { $0 += buffer.readableBytesView }
        }

        func channelInactive(context: ChannelHandlerContext) {
            closed.update { $0 = true }
            context.fireChannelInactive()
        }
    }
}
