public import TrafficModel

/// Turns the two reassembled byte streams of one TCP connection into a
/// `Session`: HTTP/1.1 exchanges, then WebSocket messages after a 101.
/// Pure: stream events in, session out. A parse failure becomes an anomaly
/// and the rest of that direction is kept as raw bytes; the other direction
/// goes on.
package struct ConnectionDecoder: Sendable {
    package enum Mode: Sendable, Equatable {
        /// Waiting for the first bytes, to tell what the connection speaks.
        case undecided
        case http
        case websocket
        /// A protocol that is not decoded (CONNECT tunnel, other Upgrade).
        case undecoded
    }

    package struct Limits: Sendable {
        package var http: HTTP1Limits = .default
        package var websocket: WebSocketLimits = .default
        /// Raw bytes kept per direction after a parse failure (default 64 KiB).
        package var maxRawBytes = 64 << 10

        package init(http: HTTP1Limits = .default, websocket: WebSocketLimits = .default, maxRawBytes: Int = 64 << 10) {
            self.http = http
            self.websocket = websocket
            self.maxRawBytes = maxRawBytes
        }
    }

    /// Messages completed since the caller last took them, for auth tracking.
    package enum Completed: Sendable {
        case request(exchange: Int)
        case response(exchange: Int)
        /// A client WebSocket message (it may carry a credential, as a Socket.IO CONNECT does).
        case message(index: Int)
    }

    package let limits: Limits
    package let midstream: Bool
    package var session: Session
    package var mode: Mode = .undecided
    /// Set when client and server turned out to be the other way round.
    private(set) var swapped = false

    package var requestParser: HTTP1Parser
    package var responseParser: HTTP1Parser
    /// Exchanges waiting for their response, oldest first (pipelining).
    package var awaitingResponse: [Int] = []
    package var interim: [InterimResponse] = []
    package var clocks = DirectionPair(repeating: StreamClock())
    package var websocket: WebSocketState?
    /// Directions no longer parsed; their bytes go to `raw`.
    package var failed = DirectionPair(repeating: false)
    package var raw = DirectionPair<[UInt8]>(repeating: [])
    package var rawDropped = DirectionPair(repeating: 0)
    /// The anomaly that receives a direction's raw bytes at the end.
    package var rawAnomaly = DirectionPair<Int?>(repeating: nil)
    package var completed: [Completed] = []
    /// After a gap in the server stream: bytes skipped so far while looking
    /// for the next status line (nil when not resynchronizing).
    package var responseResync: (skipped: Int, anomaly: Int)?
    /// The TLS record layer under the HTTP/WebSocket decoding, when the
    /// connection was TLS and a key log was given (see ConnectionDecoder+TLS).
    package var tls: TLSDecryptor?

    package init(id: String, client: Endpoint, server: Endpoint, start: Double, midstream: Bool, limits: Limits) {
        self.limits = limits
        self.midstream = midstream
        self.session = Session(id: id, client: client, server: server, start: start)
        self.requestParser = HTTP1Parser(role: .request, limits: limits.http)
        self.responseParser = HTTP1Parser(role: .response, limits: limits.http)
        if midstream {
            session.anomalies.append(Anomaly(kind: .midstream, at: start, detail: "the connection's start (SYN) was not captured; decoding from the first bytes seen"))
        }
    }

    /// What the first bytes of a connection look like.
    package enum Speaks: Equatable { case httpRequest, httpResponse, websocketFrame(fromClient: Bool), other }

    package static func sniff(_ bytes: ArraySlice<UInt8>) -> Speaks {
        if bytes.starts(with: Array("HTTP/".utf8)) { return .httpResponse }
        if HTTP1RequestLineSniffer.startsRequest(bytes) { return .httpRequest }
        if bytes.count >= 2 {
            let first = bytes[bytes.startIndex]
            if [0x0, 0x1, 0x2, 0x8, 0x9, 0xA].contains(first & 0x0F) && first & 0x70 == 0 {
                return .websocketFrame(fromClient: bytes[bytes.startIndex + 1] & 0x80 != 0)
            }
        }
        return .other
    }

    /// The reassembler's direction mapped to this session's, after a swap.
    package func role(_ direction: Direction) -> Direction { swapped ? direction.reversed : direction }

    /// Decides what the connection speaks from its first bytes. False when it
    /// is neither HTTP nor (caught midstream) WebSocket.
    package mutating func decide(firstBytes bytes: ArraySlice<UInt8>, from direction: Direction) -> Bool {
        switch Self.sniff(bytes) {
        case .httpRequest:
            if direction == .server { swapEndpoints() }
            mode = .http
        case .httpResponse:
            if direction == .client { swapEndpoints() }
            mode = .http
        case .websocketFrame(let fromClient) where midstream:
            if fromClient != (direction == .client) { swapEndpoints() }
            startWebSocket(subprotocol: nil, extensions: nil, leftovers: DirectionPair(repeating: (bytes: [], offset: 0)))
        case .websocketFrame, .other:
            return false
        }
        return true
    }

    package mutating func swapEndpoints() {
        swapped.toggle()
        swap(&session.client, &session.server)
    }

    package mutating func receive(_ bytes: ArraySlice<UInt8>, from wireDirection: Direction, at: Double) {
        if tls != nil {
            receiveTLS(bytes, from: role(wireDirection), at: at)
        } else {
            receivePlaintext(bytes, from: role(wireDirection), at: at)
        }
    }

    /// Bytes of the decoded protocol (HTTP/1.x, WebSocket), by session direction.
    package mutating func receivePlaintext(_ bytes: ArraySlice<UInt8>, from direction: Direction, at: Double) {
        clocks[direction].append(count: bytes.count, at: at)
        if failed[direction] {
            keepRaw(bytes, from: direction)
            return
        }
        if direction == .server, let resync = responseResync {
            // Still looking for the next status line after a gap.
            guard let start = Self.statusLineStart(in: bytes) else {
                responseResync?.skipped += bytes.count
                return
            }
            responseResync = nil
            let dropped = resync.skipped + (start - bytes.startIndex)
            session.anomalies[resync.anomaly].detail += "; \(dropped) bytes skipped to the next response"
            responseParser.append(bytes[start...])
            pumpHTTP(at: at)
            return
        }
        switch mode {
        case .undecided, .undecoded:
            keepRaw(bytes, from: direction)
        case .http:
            if direction == .client { requestParser.append(bytes) } else { responseParser.append(bytes) }
            pumpHTTP(at: at)
        case .websocket:
            websocket!.parsers[direction].append(bytes)
            pumpWebSocket(direction)
        }
    }

    package mutating func gap(_ count: Int, from wireDirection: Direction, at: Double) {
        let direction = role(wireDirection)
        if tls != nil {
            tlsGap(count, from: direction, at: at)
            return
        }
        clocks[direction].skip(count: count, at: at)
        session.anomalies.append(Anomaly(kind: .gap, direction: direction, at: at, detail: "\(count) bytes missing from the \(direction.rawValue) stream", bytes: count))
        guard !failed[direction] else { return }
        switch mode {
        case .http where direction == .server:
            resynchronizeResponses(at: at)
        case .http:
            fail(direction, kind: .malformedHTTP, at: at, detail: "the stream resumed after a gap; the rest of this direction is kept unparsed")
        case .websocket:
            fail(direction, kind: .malformedWebSocket, at: at, detail: "the stream resumed after a gap; the rest of this direction is kept unparsed")
        case .undecided, .undecoded:
            break
        }
    }

    package mutating func keepRaw(_ bytes: ArraySlice<UInt8>, from direction: Direction) {
        let room = max(0, limits.maxRawBytes - raw[direction].count)
        raw[direction].append(contentsOf: bytes.prefix(room))
        if bytes.count > room { rawDropped[direction] += bytes.count - room }
    }

    /// A gap in the server stream loses the response in progress. Responses
    /// after it are still worth having: drop the parser state, give the
    /// oldest waiting request up as unanswered, and resume at the next
    /// status line.
    package mutating func resynchronizeResponses(at: Double) {
        let lost = !awaitingResponse.isEmpty ? awaitingResponse.removeFirst() : nil
        responseParser = HTTP1Parser(role: .response, limits: limits.http)
        for index in awaitingResponse { responseParser.enqueueRequestMethod(session.exchanges[index].request.method) }
        interim = []
        let what = lost.map { "the response to request \($0) is lost" } ?? "no response was in progress"
        session.anomalies.append(Anomaly(kind: .malformedHTTP, direction: .server, at: at, detail: "resynchronizing after the gap: \(what)"))
        responseResync = (0, session.anomalies.count - 1)
    }

    /// Offset of the first `HTTP/1.` that starts a line, if any.
    package static func statusLineStart(in bytes: ArraySlice<UInt8>) -> Int? {
        let marker = Array("HTTP/1.".utf8)
        var i = bytes.startIndex
        while i + marker.count <= bytes.endIndex {
            if (i == bytes.startIndex || bytes[i - 1] == UInt8(ascii: "\n")) && bytes[i..<i + marker.count].elementsEqual(marker) { return i }
            i += 1
        }
        return nil
    }

    /// Stops parsing one direction; what was buffered and what follows is kept raw.
    package mutating func fail(_ direction: Direction, kind: Anomaly.Kind, at: Double, detail: String) {
        var leftover: [UInt8] = []
        switch mode {
        case .http:
            leftover = direction == .client ? requestParser.takeRemainingBytes() : responseParser.takeRemainingBytes()
        case .websocket:
            leftover = Array(websocket!.parsers[direction].bufferedBytes)
        case .undecided, .undecoded:
            break
        }
        failed[direction] = true
        session.anomalies.append(Anomaly(kind: kind, direction: direction, at: at, detail: detail))
        rawAnomaly[direction] = session.anomalies.count - 1
        keepRaw(leftover[...], from: direction)
    }
}
