import Wire
import TrafficModel

/// Builds the recorded session of one proxied client connection from what
/// the proxy forwards: request and response parts as NIO decoded them, the
/// bytes of an upgraded connection, upstream failures. Pure: the caller
/// passes every time (`at`, seconds since the recording's `capturedAt`).
///
/// Exchanges are answered in order (HTTP/1.1), so responses are matched to
/// the oldest request still waiting. WebSocket bytes go through Capture's own
/// `WebSocketFrameParser` and `WebSocketMessageAssembler`, so a proxied
/// session is recorded exactly as a captured one would be.
public struct ProxySessionRecorder: Sendable {
    public private(set) var session: Session
    public let limits: HTTP1Limits
    public let websocketLimits: WebSocketLimits

    private struct OpenBody: Sendable {
        var index: Int
        var bytes: [UInt8] = []
        var dropped = 0
    }

    private var requestBody: OpenBody?
    private var responseBody: OpenBody?
    /// Exchanges whose response has not begun, oldest first.
    private var awaitingResponse: [Int] = []
    private var parsers: [Direction: WebSocketFrameParser] = [:]
    private var assemblers: [Direction: WebSocketMessageAssembler] = [:]
    private var failedDirections: Set<Direction> = []
    /// The proxy's recording budget ran out while this session was open.
    private var budgetSpent = false

    public init(id: String, client: Endpoint, server: Endpoint, start: Double, limits: HTTP1Limits = .default, websocketLimits: WebSocketLimits = .default) {
        self.session = Session(id: id, client: client, server: server, start: start)
        self.limits = limits
        self.websocketLimits = websocketLimits
    }

    public var isWebSocket: Bool { session.websocket != nil }
    public var isEnded: Bool { session.end != nil }
    /// True while a request waits for its response (or the response is streaming).
    public var hasOutstandingExchange: Bool { !awaitingResponse.isEmpty || responseBody != nil }

    // MARK: HTTP

    /// Starts an exchange; `headers` exactly as the client sent them.
    @discardableResult
    public mutating func beginRequest(method: String, target: String, version: String, headers: [HeaderField], at: Double) -> Int {
        let request = HTTPRequest(at: at, method: method, target: target, version: version, headers: headers, framing: HTTP1BodyLength.recordedFraming(request: method, headers: headers))
        session.exchanges.append(HTTPExchange(request: request, response: nil))
        let index = session.exchanges.count - 1
        requestBody = OpenBody(index: index)
        awaitingResponse.append(index)
        return index
    }

    public mutating func appendRequestBody(_ bytes: some Collection<UInt8>) {
        guard requestBody != nil else { return }
        Self.append(bytes, to: &requestBody!, limit: limits.maxBodyBytes)
    }

    public mutating func endRequest(trailers: [HeaderField], at: Double) {
        guard let open = requestBody else { return }
        requestBody = nil
        session.exchanges[open.index].request.body = open.bytes.isEmpty ? nil : Body(bytes: open.bytes)
        session.exchanges[open.index].request.trailers = trailers
        noteDropped(open, direction: .client, at: at)
    }

    /// The response head for the oldest waiting request; returns its index,
    /// or nil when no request was waiting (the response is then dropped).
    @discardableResult
    public mutating func beginResponse(status: Int, reason: String, version: String, headers: [HeaderField], at: Double) -> Int? {
        guard !awaitingResponse.isEmpty else {
            session.anomalies.append(Anomaly(kind: .protocolViolation, direction: .server, at: at, detail: "a \(status) response arrived with no request waiting for it"))
            return nil
        }
        let index = awaitingResponse.removeFirst()
        let framing = HTTP1BodyLength.recordedFraming(response: status, to: session.exchanges[index].request.method, headers: headers)
        session.exchanges[index].response = HTTPResponse(at: at, version: version, status: status, reason: reason, headers: headers, framing: framing)
        responseBody = OpenBody(index: index)
        return index
    }

    public mutating func appendResponseBody(_ bytes: some Collection<UInt8>) {
        guard responseBody != nil else { return }
        Self.append(bytes, to: &responseBody!, limit: limits.maxBodyBytes)
    }

    /// Completes the response; returns the finished exchange.
    @discardableResult
    public mutating func endResponse(trailers: [HeaderField], at: Double) -> HTTPExchange? {
        guard let open = responseBody else { return nil }
        responseBody = nil
        session.exchanges[open.index].response!.body = open.bytes.isEmpty ? nil : Body(bytes: open.bytes)
        session.exchanges[open.index].response!.trailers = trailers
        if open.bytes.isEmpty && session.exchanges[open.index].response!.framing == .close {
            session.exchanges[open.index].response!.framing = .none
        }
        noteDropped(open, direction: .server, at: at)
        return session.exchanges[open.index]
    }

    /// The proxy answered the oldest waiting request itself because the
    /// upstream could not be reached; records that answer and why.
    @discardableResult
    public mutating func answerUpstreamFailure(_ response: HTTPResponse, detail: String) -> HTTPExchange? {
        guard !awaitingResponse.isEmpty else { return nil }
        let index = awaitingResponse.removeFirst()
        session.exchanges[index].response = response
        session.anomalies.append(Anomaly(kind: .upstreamError, direction: .server, at: response.at, detail: "exchange \(index): \(detail)"))
        return session.exchanges[index]
    }

    // MARK: WebSocket

    /// The connection switched to WebSocket after a 101 with these fields.
    public mutating func startWebSocket(responseHeaders: [HeaderField], at: Double) {
        let extensions = responseHeaders.first("Sec-WebSocket-Extensions")
        var deflate: PerMessageDeflateParameters?
        do {
            deflate = try PerMessageDeflateParameters.negotiated(fromResponseHeader: extensions)
        } catch {
            session.anomalies.append(Anomaly(kind: .protocolViolation, at: at, detail: "\(error); messages are read without decompression"))
        }
        for direction in [Direction.client, .server] {
            parsers[direction] = WebSocketFrameParser(limits: websocketLimits)
            assemblers[direction] = WebSocketMessageAssembler(direction: direction, deflate: deflate, limits: websocketLimits)
        }
        session.websocket = WebSocketSession(subprotocol: responseHeaders.first("Sec-WebSocket-Protocol"), extensions: extensions, messages: [])
    }

    /// Bytes forwarded in one direction of the upgraded connection.
    public mutating func webSocketBytes(_ bytes: some Collection<UInt8>, from direction: Direction, at: Double) {
        guard session.websocket != nil, !failedDirections.contains(direction) else { return }
        parsers[direction]!.append(bytes)
        do {
            while let frame = try parsers[direction]!.nextFrame() {
                for event in assemblers[direction]!.push(frame) { handle(event, from: direction, at: at) }
            }
        } catch {
            failedDirections.insert(direction)
            let rest = parsers[direction]!.bufferedBytes
            session.anomalies.append(Anomaly(
                kind: .malformedWebSocket, direction: direction, at: at, detail: "\(error); later bytes were forwarded but not decoded",
                bytes: rest.count, data: .binary(Array(rest.prefix(64 << 10)))
            ))
        }
    }

    private mutating func handle(_ event: WebSocketAssemblyEvent, from direction: Direction, at: Double) {
        switch event {
        case .message(let m):
            session.websocket!.messages.append(m.recorded(from: direction, at: at))
        case .violation(let v):
            session.anomalies.append(Anomaly(kind: v.kind, direction: direction, at: at, detail: v.detail))
        }
    }

    // MARK: End

    /// Ends the session: reports what was cut short. Idempotent.
    @discardableResult
    public mutating func finish(kind: SessionEnd.Kind, by: Direction?, at: Double) -> Session {
        guard session.end == nil else { return session }
        if let open = requestBody {
            requestBody = nil
            session.exchanges[open.index].request.body = open.bytes.isEmpty ? nil : Body(bytes: open.bytes)
            session.anomalies.append(Anomaly(kind: .truncated, direction: .client, at: at, detail: "exchange \(open.index): the connection ended inside the request body (\(open.bytes.count) bytes seen)"))
        }
        if let open = responseBody {
            responseBody = nil
            session.exchanges[open.index].response!.body = open.bytes.isEmpty ? nil : Body(bytes: open.bytes)
            if session.exchanges[open.index].response!.framing != .close {
                session.anomalies.append(Anomaly(kind: .truncated, direction: .server, at: at, detail: "exchange \(open.index): the connection ended inside the response body (\(open.bytes.count) bytes seen)"))
            }
        }
        if session.websocket != nil {
            for direction in [Direction.client, .server] where !failedDirections.contains(direction) {
                for event in assemblers[direction]!.finish() { handle(event, from: direction, at: at) }
                let partial = parsers[direction]!.bufferedBytes
                if !partial.isEmpty {
                    session.anomalies.append(Anomaly(
                        kind: .truncated, direction: direction, at: at,
                        detail: "the connection ended inside a WebSocket frame (\(partial.count) bytes of it seen)",
                        bytes: partial.count, data: .binary(Array(partial.prefix(64 << 10)))
                    ))
                }
            }
        }
        if kind == .cut {
            session.anomalies.append(Anomaly(kind: .truncated, at: at, detail: "the recording stopped while this connection was open"))
        }
        session.end = SessionEnd(kind: kind, at: at, by: by)
        return session
    }

    /// The run's recording budget is spent: later payload bytes of this
    /// session are forwarded but not recorded (said once, as an anomaly).
    public mutating func stopRecordingPayloads(budget: Int, at: Double) {
        guard !budgetSpent else { return }
        budgetSpent = true
        failedDirections = [.client, .server]
        session.anomalies.append(Anomaly(
            kind: .limit, at: at,
            detail: "the proxy's recording budget (\(budget >> 20) MiB of bodies and WebSocket bytes, --max-recording-mib) is spent: later bytes of this session were forwarded but not recorded"
        ))
    }

    // MARK: Helpers

    private static func append(_ bytes: some Collection<UInt8>, to body: inout OpenBody, limit: Int) {
        let room = max(0, limit - body.bytes.count)
        if bytes.count <= room {
            body.bytes.append(contentsOf: bytes)
        } else {
            body.bytes.append(contentsOf: bytes.prefix(room))
            body.dropped += bytes.count - room
        }
    }

    private mutating func noteDropped(_ body: OpenBody, direction: Direction, at: Double) {
        guard body.dropped > 0 else { return }
        session.anomalies.append(Anomaly(
            kind: .limit, direction: direction, at: at,
            detail: "exchange \(body.index): body over the \(limits.maxBodyBytes)-byte limit (HTTP1Limits.maxBodyBytes); it was forwarded whole but only the first \(body.bytes.count) bytes are recorded",
            bytes: body.dropped
        ))
    }
}
