public import TrafficModel

/// A recorded response prepared for sending: status, reason, headers in
/// recorded order and case, and the body bytes exactly as recorded, with the
/// framing headers made true for what is sent (one fixed-length body).
public struct ReplayedResponse: Hashable, Sendable {
    public var status: Int
    public var reason: String
    public var headers: [HeaderField]
    public var body: [UInt8]
    /// True when the connection must be closed after this response.
    public var closeConnection: Bool
    /// Interim 1xx responses (100 Continue, 103 Early Hints) sent first, as recorded.
    public var interim: [InterimResponse]
    /// A streamed body (ReplayedResponse+Stream.swift): written piece by
    /// piece after the head, in place of `body`; nil for a whole body.
    public var parts: [StreamedPart]?

    public init(
        status: Int, reason: String, headers: [HeaderField], body: [UInt8], closeConnection: Bool = false, interim: [InterimResponse] = []
    ) {
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.closeConnection = closeConnection
        self.interim = interim
    }

    /// - Parameter method: the live request's method (a HEAD answer keeps its recorded Content-Length).
    public init(recorded response: HTTPResponse, method: String) {
        let body = response.body?.bytes ?? []
        let bodyless = method.uppercased() == "HEAD" || response.status == 204 || response.status == 304 || response.status < 200
        var headers: [HeaderField] = []
        var placedLength = false
        for field in response.headers {
            switch field.name.lowercased() {
            case "content-length":
                if bodyless {
                    headers.append(field)
                } else if !placedLength {
                    headers.append(HeaderField(field.name, String(body.count)))
                }
                placedLength = true
            case "transfer-encoding":
                // A recorded chunked body is sent as one fixed-length body, in the same place.
                if !bodyless && !placedLength {
                    headers.append(HeaderField("Content-Length", String(body.count)))
                    placedLength = true
                }
            default:
                headers.append(field)
            }
        }
        if !bodyless && !placedLength {
            headers.append(HeaderField("Content-Length", String(body.count)))
        }
        let close = response.framing == .close
            || response.headers.listElements("Connection").contains { $0.lowercased() == "close" }
        self.init(
            status: response.status, reason: response.reason, headers: headers, body: bodyless ? [] : body, closeConnection: close,
            interim: response.interim.filter { (100..<200).contains($0.status) && $0.status != 101 }
        )
    }

    /// A JSON answer made by the mock itself (admin endpoints, explanations).
    public static func json(status: Int, reason: String, _ value: JSONValue) -> ReplayedResponse {
        let body = Array((JSONWriter.pretty(value)).utf8)
        return ReplayedResponse(
            status: status, reason: reason,
            headers: [HeaderField("Content-Type", "application/json"), HeaderField("Content-Length", String(body.count))],
            body: body
        )
    }
}
