import TrafficModel
import Wire

/// One HAR entry turned into recording parts. Times inside are seconds since
/// the entry's `startedDateTime`, except WebSocket messages, whose HAR times
/// are absolute; the importer shifts both once it knows `capturedAt`.
///
/// Why an entry could not be used is a `CaptureError.harEntry` (code
/// `.invalidHAREntry`); it becomes an anomaly.
struct HAREntry {
    var started: Timestamp
    /// Entries sharing a key share a session (the HAR `connection` id and the server).
    var connectionKey: String?
    var server: Endpoint
    var exchange: HTTPExchange
    var websocket: WebSocketSession?
    /// Absolute times of `websocket.messages`, in seconds since the epoch.
    var messageTimes: [Double] = []
    var anomalies: [Anomaly] = []

    init(_ entry: JSONValue) throws(CaptureError) {
        guard case .object = entry else { throw .harEntry("the entry is a \(entry.typeName), not an object") }
        guard let startedText = entry["startedDateTime"]?.stringValue else { throw .harEntry("\"startedDateTime\" is missing") }
        guard let started = HAREntry.timestamp(startedText) else { throw .harEntry("\"startedDateTime\" is not an ISO 8601 time: \(startedText)") }
        guard let request = entry["request"], case .object = request else { throw .harEntry("\"request\" is missing") }
        guard let method = request["method"]?.stringValue else { throw .harEntry("\"request.method\" is missing") }
        guard HAREntry.isToken(method) else { throw .harEntry("\"request.method\" is not an HTTP method: \(method.prefix(100))") }
        guard let urlText = request["url"]?.stringValue else { throw .harEntry("\"request.url\" is missing") }
        guard let url = HARURL(urlText) else { throw .harEntry("\"request.url\" is not an absolute http(s) or ws(s) URL: \(urlText.prefix(200))") }
        self.started = started

        var host = url.host
        if let text = entry["serverIPAddress"]?.stringValue {
            let ip = text.hasPrefix("[") && text.hasSuffix("]") && text.count >= 2 ? String(text.dropFirst().dropLast()) : text
            if !ip.isEmpty { host = ip }
        }
        server = Endpoint(host: host, port: url.port)
        switch entry["connection"] {
        case .string(let id)? where !id.isEmpty: connectionKey = "\(id) \(server)"
        case .number(let id)?: connectionKey = "\(id) \(server)"
        default: connectionKey = nil
        }

        let timing = HAREntry.timing(entry)
        let requestVersion = HAREntry.version(request["httpVersion"]?.stringValue)
        var requestHeaders = HAREntry.headers(request["headers"], anomalies: &anomalies, direction: .client)
        HAREntry.fixHost(&requestHeaders.fields, authority: requestHeaders.authority ?? url.authority)
        if requestHeaders.fields.first("Cookie") == nil, let cookies = request["cookies"]?.arrayValue, !cookies.isEmpty {
            // Some exports list cookies without the header; the request carried them.
            let pairs = cookies.compactMap { c -> String? in
                guard let name = c["name"]?.stringValue else { return nil }
                return "\(name)=\(c["value"]?.stringValue ?? "")"
            }
            if !pairs.isEmpty { requestHeaders.fields.append(HeaderField("Cookie", pairs.joined(separator: "; "))) }
        }
        let requestBody = HAREntry.postData(request["postData"])
        let httpRequest = HTTPRequest(
            at: timing.request, method: method, target: url.target, version: requestVersion, headers: requestHeaders.fields,
            body: requestBody, framing: HAREntry.framing(requestHeaders.fields, body: requestBody)
        )

        exchange = HTTPExchange(request: httpRequest, response: nil)
        guard let response = entry["response"], case .object = response else {
            anomalies.append(Anomaly(kind: .upstreamError, direction: .server, at: timing.response, detail: "the HAR entry has no response"))
            return
        }
        let status = response["status"]?.intValue ?? 0
        if status <= 0 {
            let error = response["_error"]?.stringValue ?? entry["_error"]?.stringValue
            let why = error.map { ": \($0)" } ?? ""
            anomalies.append(Anomaly(kind: .upstreamError, direction: .server, at: timing.response, detail: "the browser got no response (HAR status 0\(why))"))
            return
        }
        guard (100...999).contains(status) else { throw .harEntry("\"response.status\" \(status) is not an HTTP status") }
        exchange.response = responsePart(response, status: status, method: method, at: timing.response)

        if let frames = entry["_webSocketMessages"]?.arrayValue {
            var ws = WebSocketSession()
            if let r = exchange.response {
                ws.subprotocol = r.headers.first("Sec-WebSocket-Protocol")
                ws.extensions = r.headers.first("Sec-WebSocket-Extensions")
            }
            for (i, frame) in frames.enumerated() {
                switch HAREntry.message(frame) {
                case .success(let (time, message)):
                    ws.messages.append(message)
                    messageTimes.append(time)
                case .failure(let problem):
                    anomalies.append(Anomaly(kind: .malformedWebSocket, detail: "_webSocketMessages[\(i)]: \(problem.reason)", data: .text(JSONWriter.compact(frame))))
                }
            }
            websocket = ws
        } else if exchange.isWebSocketUpgrade {
            websocket = WebSocketSession(
                subprotocol: exchange.response?.headers.first("Sec-WebSocket-Protocol"),
                extensions: exchange.response?.headers.first("Sec-WebSocket-Extensions")
            )
        }
    }

    private mutating func responsePart(_ response: JSONValue, status: Int, method: String, at: Double) -> HTTPResponse {
        var headers = HAREntry.headers(response["headers"], anomalies: &anomalies, direction: .server).fields
        var body: Body?
        let content = response["content"]
        if let text = content?["text"]?.stringValue, !text.isEmpty {
            if content?["encoding"]?.stringValue?.lowercased() == "base64" {
                if let bytes = Base64.decode(text.filter { !$0.isWhitespace }) {
                    body = Body(bytes: bytes)
                } else {
                    body = .text(text)
                    anomalies.append(Anomaly(kind: .malformedHTTP, direction: .server, at: at, detail: "content.text says base64 but is not; kept as text"))
                }
            } else {
                body = .text(text)
            }
        } else if let size = content?["size"]?.intValue, size > 0, method != "HEAD", status != 304, status != 204 {
            anomalies.append(Anomaly(
                kind: .truncated, direction: .server, at: at,
                detail: "the HAR holds no response body (content.size \(size)); browsers leave some bodies out", bytes: size
            ))
        }
        if let stored = body { dropDecodedContentEncoding(&headers, body: stored, at: at) }
        var recorded = HTTPResponse(
            at: at, version: HAREntry.version(response["httpVersion"]?.stringValue), status: status,
            reason: response["statusText"]?.stringValue ?? "", headers: headers, body: body,
            framing: HAREntry.framing(headers, body: body)
        )
        // An event stream becomes its events, as from a capture; a HAR has no
        // time per event, so each carries the response's.
        if recorded.isEventStream, let parsed = try? ServerSentEventParser.events(in: body?.bytes ?? []) {
            recorded.body = nil
            recorded.stream = ResponseStream(
                headAt: at, events: parsed.events.map { var e = $0.event; e.at = at; return e }, truncated: parsed.incompleteBytes > 0
            )
        }
        return recorded
    }

    /// HAR bodies are stored decoded (HAR 1.2 §content), so a
    /// `Content-Encoding: gzip` would no longer describe them: drop it and the
    /// Content-Length of the encoded body, and say so. A body that still
    /// starts with the gzip magic was exported encoded and keeps its headers.
    private mutating func dropDecodedContentEncoding(_ headers: inout [HeaderField], body: Body, at: Double) {
        let codings = headers.listElements("Content-Encoding").map { $0.lowercased() }.filter { $0 != "identity" }
        guard !codings.isEmpty else { return }
        if codings == ["gzip"] || codings == ["x-gzip"], body.bytes.starts(with: [0x1F, 0x8B]) { return }
        let dropped = headers.filter { ["content-encoding", "content-length"].contains($0.name.lowercased()) }
        headers.removeAll { ["content-encoding", "content-length"].contains($0.name.lowercased()) }
        let list = dropped.map { "\($0.name): \($0.value)" }.joined(separator: ", ")
        anomalies.append(Anomaly(
            kind: .decompression, direction: .server, at: at,
            detail: "the HAR holds the body decoded; removed \(list) so the headers describe the stored body"
        ))
    }
}
