import AsyncHTTPClient
import Foundation
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import TrafficModel
import WSClient
import WSCore  // WSClient re-exports it; named to tell its WebSocketMessage from TrafficModel's

/// The scripted client of `authreplay demo`: login, profile, an agent
/// WebSocket with the Bearer token, and a WebSocket without a token.
/// AsyncHTTPClient and swift-websocket's WSClient, one connection per step
/// (the recording must hold one session per step), every step bounded by `timeout`.
struct DemoClient: Sendable {
    var host: String
    var port: Int
    var username: String
    var password: String
    var timeout: Double = 10

    /// The agent's answers to one user message: the four agent events.
    static let answersPerMessage = 4

    func run() async throws -> [DemoAnswer] {
        var answers: [DemoAnswer] = []
        let loginBody = JSONWriter.compact(.object([("username", .string(username)), ("password", .string(password))]))
        let login = try await exchange(
            step: "login", .POST, "/auth/token",
            headers: [("Content-Type", "application/json")], body: Array(loginBody.utf8)
        )
        answers.append(login)
        guard login.status == 200, let token = login.json?["access_token"]?.stringValue else {
            throw DemoClientError("login answered \(login.status ?? 0) without an access_token: \(login.text)")
        }
        answers.append(try await exchange(step: "profile", .GET, "/api/me", headers: [("Authorization", "Bearer \(token)")]))
        answers += try await webSocket(step: "ws bearer", token: token, send: [#"{"type":"user_message","content":"hello"}"#])
        answers += try await webSocket(step: "ws no token", token: nil, send: [])
        return answers
    }

    private var authority: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// One request on a client of its own: shutting the client down closes the
    /// connection before the next step opens one.
    private func exchange(
        step: String, _ method: HTTPMethod, _ path: String, headers: [(String, String)], body: [UInt8]? = nil
    ) async throws -> DemoAnswer {
        var request = HTTPClientRequest(url: "http://\(authority)\(path)")
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        // `bounded` owns the step's timeout (one message for every step); the
        // client's own deadline is only a backstop a second later, so the two never race.
        let deadline = NIODeadline.now() + .milliseconds(Int64(timeout * 1000) + 1000)
        return try await bounded(timeout, "\(method) \(path) at \(authority)") { [request] in
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            do {
                let response = try await client.execute(request, deadline: deadline)
                let payload = try await response.body.collect(upTo: 16 << 20)
                try await client.shutdown()
                return DemoAnswer(
                    step: step, kind: .response, status: Int(response.status.code),
                    contentType: response.headers.first(name: "content-type"), payload: Array(payload.readableBytesView)
                )
            } catch {
                try? await client.shutdown()
                throw error
            }
        }
    }

    /// Opens /ws, reads the greeting (or the error frame), sends each text
    /// message and reads the agent's answers after it, then returns, which
    /// makes WSClient close with 1000. With nothing to send it reads until the
    /// server closes. The answers end with the server's close frame.
    private func webSocket(step: String, token: String?, send: [String]) async throws -> [DemoAnswer] {
        var fields = HTTPFields()
        if let token { fields[.authorization] = "Bearer \(token)" }
        let configuration = WebSocketClientConfiguration(additionalHeaders: fields, closeTimeout: .milliseconds(Int64(timeout * 1000)))
        let url = "ws://\(authority)/ws"
        return try await bounded(timeout, "the WebSocket \(url)") {
            let received = Received()
            let close = try await WebSocketClient.connect(url: url, configuration: configuration, logger: Self.logger) { inbound, outbound, _ in
                var messages = inbound.messages(maxSize: 16 << 20).makeAsyncIterator()
                guard let greeting = try await messages.next() else { return }
                received.append(greeting, step: step)
                if send.isEmpty {
                    while let message = try await messages.next() { received.append(message, step: step) }
                    return
                }
                for text in send {
                    try await outbound.write(.text(text))
                    for _ in 0..<Self.answersPerMessage {
                        guard let message = try await messages.next() else { return }
                        received.append(message, step: step)
                    }
                }
            }
            // WSClient returns the close frame the server sent, whoever closed first.
            guard let close else { throw DemoClientError("\(url) ended without a close frame") }
            let reason = Array((close.reason ?? "").utf8)
            return received.answers + [DemoAnswer(step: step, kind: .close, payload: reason, closeCode: Int(UInt16(webSocketErrorCode: close.closeCode)))]
        }
    }

    /// WSClient logs nothing the tour shows.
    private static let logger = Logger(label: "authreplay-demo", factory: { _ in SwiftLogNoOpLogHandler() })
}

/// The messages a WebSocket step received, appended from WSClient's handler.
private final class Received: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [DemoAnswer] = []

    var answers: [DemoAnswer] { lock.withLock { stored } }

    func append(_ message: WSCore.WebSocketMessage, step: String) {
        let payload: [UInt8]
        switch message {
        case .text(let text): payload = Array(text.utf8)
        case .binary(let buffer): payload = Array(buffer.readableBytesView)
        }
        lock.withLock { stored.append(DemoAnswer(step: step, kind: .message, payload: payload)) }
    }
}
