import Foundation
import NIOCore
import NIOPosix
import TrafficModel

/// One answer the demo client received, in arrival order.
struct DemoAnswer: Hashable, Sendable, CustomStringConvertible {
    enum Kind: String, Hashable, Sendable { case response, message, close }
    var step: String
    var kind: Kind
    /// HTTP status of a response; nil for messages.
    var status: Int?
    var contentType: String?
    /// Response body or message payload; for a close, its reason.
    var payload: [UInt8]
    var closeCode: Int?

    var text: String { String(decoding: payload, as: UTF8.self) }
    var json: JSONValue? { try? JSONParser.parse(payload) }

    var description: String {
        switch kind {
        case .response: return "\(step): HTTP \(status ?? 0) \(text)"
        case .message: return "\(step): message \(text)"
        case .close: return "\(step): close \(closeCode.map(String.init) ?? "-")"
        }
    }

    /// The answer as redaction writes it into a recording (the mock serves the redacted recording).
    func redacted(_ redactor: Redactor) -> DemoAnswer {
        var copy = self
        switch kind {
        case .response:
            let headers = contentType.map { [HeaderField("Content-Type", $0)] } ?? []
            let response = HTTPResponse(at: 0, status: status ?? 0, reason: "", headers: headers, body: payload.isEmpty ? nil : Body(bytes: payload))
            copy.payload = redactor.redact(response: response).body?.bytes ?? []
        case .message:
            copy.payload = redactor.redact(message: WebSocketMessage(direction: .server, at: 0, opcode: .text, payload: Body(bytes: payload))).payload.bytes
        case .close:
            break
        }
        return copy
    }
}

struct DemoClientError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The scripted client of `authreplay demo`: login, profile, an agent
/// WebSocket with the Bearer token, and a WebSocket without a token.
/// Plain HTTP/1.1 and RFC 6455 over NIO, one connection per step, every
/// step bounded by `timeout`.
struct DemoClient: Sendable {
    var host: String
    var port: Int
    var username: String
    var password: String
    var timeout: Double = 10

    func run() async throws -> [DemoAnswer] {
        var answers: [DemoAnswer] = []
        let loginBody = JSONWriter.compact(.object([("username", .string(username)), ("password", .string(password))]))
        let login = try await exchange(
            step: "login", "POST /auth/token",
            headers: [("Content-Type", "application/json")], body: Array(loginBody.utf8)
        )
        answers.append(login)
        guard login.status == 200, let token = login.json?["access_token"]?.stringValue else {
            throw DemoClientError("login answered \(login.status ?? 0) without an access_token: \(login.text)")
        }
        answers.append(try await exchange(step: "profile", "GET /api/me", headers: [("Authorization", "Bearer \(token)")]))
        answers += try await webSocket(step: "ws bearer", headers: [("Authorization", "Bearer \(token)")], send: [
            #"{"type":"user_message","content":"hello"}"#,
        ], expectedAfterEach: [4])
        answers += try await webSocket(step: "ws no token", headers: [], send: [], expectedAfterEach: [])
        return answers
    }

    private func exchange(step: String, _ line: String, headers: [(String, String)], body: [UInt8] = []) async throws -> DemoAnswer {
        let request = requestBytes(line, headers: headers + (body.isEmpty && !line.hasPrefix("POST") ? [] : [("Content-Length", String(body.count))]), body: body)
        return try await DemoConnection.converse(host: host, port: port, timeout: timeout) { connection in
            try await connection.write(request)
            let head = try await connection.readResponseHead()
            let payload = try await connection.readBody(head)
            return DemoAnswer(step: step, kind: .response, status: head.status, contentType: head.header("content-type"), payload: payload)
        }
    }

    /// Opens /ws, reads the greeting (or error frame), sends each text message
    /// and reads the given number of answers after it, then closes with 1000.
    /// When the server closes first, answers its close.
    private func webSocket(step: String, headers: [(String, String)], send: [String], expectedAfterEach: [Int]) async throws -> [DemoAnswer] {
        let handshake = requestBytes("GET /ws", headers: [
            ("Upgrade", "websocket"), ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", "ZGVtby1jbGllbnQta2V5MQ=="), ("Sec-WebSocket-Version", "13"),
        ] + headers, body: [])
        return try await DemoConnection.converse(host: host, port: port, timeout: timeout) { connection in
            var answers: [DemoAnswer] = []
            try await connection.write(handshake)
            let head = try await connection.readResponseHead()
            guard head.status == 101 else {
                let body = try await connection.readBody(head)
                return [DemoAnswer(step: step, kind: .response, status: head.status, contentType: head.header("content-type"), payload: body)]
            }
            func receive() async throws -> Bool {
                let frame = try await connection.readFrame()
                if frame.opcode == 0x8 {
                    let code = frame.payload.count >= 2 ? Int(frame.payload[0]) << 8 | Int(frame.payload[1]) : nil
                    answers.append(DemoAnswer(step: step, kind: .close, payload: Array(frame.payload.dropFirst(2)), closeCode: code))
                    try? await connection.writeFrame(opcode: 0x8, payload: Array(frame.payload.prefix(2)))
                    return false
                }
                answers.append(DemoAnswer(step: step, kind: .message, payload: frame.payload))
                return true
            }
            guard try await receive() else { return answers }
            for (message, count) in zip(send, expectedAfterEach) {
                try await connection.writeFrame(opcode: 0x1, payload: Array(message.utf8))
                for _ in 0..<count {
                    guard try await receive() else { return answers }
                }
            }
            // The server closes first (an error frame), or we close with 1000.
            if send.isEmpty {
                while try await receive() {}
                return answers
            }
            try await connection.writeFrame(opcode: 0x8, payload: [0x03, 0xE8])
            while try await receive() {}
            return answers
        }
    }

    private func requestBytes(_ line: String, headers: [(String, String)], body: [UInt8]) -> [UInt8] {
        var text = "\(line) HTTP/1.1\r\nHost: \(host):\(port)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        return Array(text.utf8) + body
    }
}

/// One TCP connection read as bytes: HTTP/1.1 responses, then WebSocket frames.
final class DemoConnection {
    struct Head {
        var status: Int
        var headers: [(String, String)]
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }
    }

    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var buffer: [UInt8] = []

    private init(inbound: NIOAsyncChannelInboundStream<ByteBuffer>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) {
        self.iterator = inbound.makeAsyncIterator()
        self.outbound = outbound
    }

    /// Connects, runs `script`, closes; the whole conversation has `timeout` seconds.
    static func converse<T: Sendable>(host: String, port: Int, timeout: Double, _ script: @escaping @Sendable (DemoConnection) async throws -> T) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.milliseconds(Int64(timeout * 1000)))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let raw = channel.channel
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await channel.executeThenClose { inbound, outbound in
                    try await script(DemoConnection(inbound: inbound, outbound: outbound))
                }
            }
            group.addTask {
                try await Task.sleep(nanoseconds: UInt64(timeout * 1_000_000_000))
                raw.close(promise: nil)
                throw DemoClientError("no complete answer from \(host):\(port) within \(timeout) s")
            }
            defer { group.cancelAll() }
            while let result = try await group.next() {
                if let result { return result }
            }
            throw DemoClientError("the connection to \(host):\(port) ended early")
        }
    }

    func write(_ bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    private func fill() async throws {
        guard let chunk = try await iterator.next() else { throw DemoClientError("the server closed the connection early") }
        buffer += chunk.readableBytesView
    }

    private func take(_ count: Int) async throws -> [UInt8] {
        while buffer.count < count { try await fill() }
        defer { buffer.removeFirst(count) }
        return Array(buffer.prefix(count))
    }

    private func readLine() async throws -> String {
        while true {
            if let end = buffer.firstIndex(of: 0x0A) {
                let line = try await take(end + 1)
                return String(decoding: line.dropLast(line.count >= 2 && line[line.count - 2] == 0x0D ? 2 : 1), as: UTF8.self)
            }
            try await fill()
        }
    }

    func readResponseHead() async throws -> Head {
        let status = try await readLine()
        let parts = status.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let code = Int(parts[1]) else { throw DemoClientError("not an HTTP response: \(status)") }
        var headers: [(String, String)] = []
        while true {
            let line = try await readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        return Head(status: code, headers: headers)
    }

    func readBody(_ head: Head) async throws -> [UInt8] {
        if head.status == 101 || head.status == 204 || head.status == 304 { return [] }
        if let length = head.header("content-length").flatMap({ Int($0) }) { return try await take(length) }
        if head.header("transfer-encoding")?.lowercased().contains("chunked") == true {
            var body: [UInt8] = []
            while true {
                let size = Int(try await readLine().split(separator: ";").first.map(String.init) ?? "", radix: 16) ?? 0
                if size == 0 {
                    while try await readLine().isEmpty == false {}
                    return body
                }
                body += try await take(size)
                _ = try await readLine()
            }
        }
        // Delimited by the close.
        while true {
            guard let chunk = try await iterator.next() else { break }
            buffer += chunk.readableBytesView
        }
        defer { buffer.removeAll() }
        return buffer
    }

    /// The next message from the server: continuation frames joined, control frames returned as they come.
    func readFrame() async throws -> (opcode: UInt8, payload: [UInt8]) {
        var opcode: UInt8?
        var payload: [UInt8] = []
        while true {
            let header = try await take(2)
            let fin = header[0] & 0x80 != 0
            let frameOpcode = header[0] & 0x0F
            var length = Int(header[1] & 0x7F)
            if length == 126 {
                let bytes = try await take(2)
                length = Int(bytes[0]) << 8 | Int(bytes[1])
            } else if length == 127 {
                length = try await take(8).reduce(0) { $0 << 8 | Int($1) }
            }
            let mask = header[1] & 0x80 != 0 ? try await take(4) : nil
            var data = try await take(length)
            if let mask { for i in data.indices { data[i] ^= mask[i % 4] } }
            if frameOpcode & 0x8 != 0 { return (frameOpcode, data) }
            if opcode == nil { opcode = frameOpcode }
            payload += data
            if fin { return (opcode ?? 0x1, payload) }
        }
    }

    /// A single masked frame (RFC 6455 §5.3).
    func writeFrame(opcode: UInt8, payload: [UInt8]) async throws {
        var frame: [UInt8] = [0x80 | opcode]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            frame.append(0x80 | 127)
            frame += (0..<8).reversed().map { UInt8(truncatingIfNeeded: payload.count >> ($0 * 8)) }
        }
        let mask: [UInt8] = (0..<4).map { _ in UInt8.random(in: 0...255) }
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try await write(frame)
    }
}
