/// A header field exactly as on the wire: name case and order are kept.
public struct HeaderField: Hashable, Sendable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

extension Array where Element == HeaderField {
    /// The first value of `name`, compared case-insensitively (RFC 9110 §5.1).
    public func first(_ name: String) -> String? {
        first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Every value of `name`, in order.
    public func all(_ name: String) -> [String] {
        let lower = name.lowercased()
        return filter { $0.name.lowercased() == lower }.map(\.value)
    }

    /// Comma-separated list elements of every `name` field (RFC 9110 §5.6.1), trimmed.
    public func listElements(_ name: String) -> [String] {
        all(name).flatMap { $0.split(separator: ",") }
            .map { $0.trimmingSpaces() }
            .filter { !$0.isEmpty }
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (RFC 9110 OWS). Walks the
    /// indices inward: the reversed-collection version was a hot spot of import.
    func trimmingSpaces() -> String {
        var start = startIndex
        var end = endIndex
        while start < end, self[start] == " " || self[start] == "\t" { start = index(after: start) }
        while end > start {
            let last = index(before: end)
            guard self[last] == " " || self[last] == "\t" else { break }
            end = last
        }
        return String(self[start..<end])
    }
}

extension String {
    func trimmingSpaces() -> String { self[...].trimmingSpaces() }
}

/// A message body: text when the bytes are valid UTF-8, otherwise base64.
public enum Body: Hashable, Sendable {
    case text(String)
    case binary([UInt8])

    public init(bytes: [UInt8]) {
        if let text = String(validating: bytes, as: UTF8.self) {
            self = .text(text)
        } else {
            self = .binary(bytes)
        }
    }

    public var bytes: [UInt8] {
        switch self {
        case .text(let s): return Array(s.utf8)
        case .binary(let b): return b
        }
    }

    public var count: Int {
        switch self {
        case .text(let s): return s.utf8.count
        case .binary(let b): return b.count
        }
    }

    public var text: String? {
        if case .text(let s) = self { return s }
        return nil
    }
}

/// How an HTTP body was delimited on the wire (RFC 9112 §6).
public enum BodyFraming: String, Hashable, Sendable, CaseIterable {
    case none
    case contentLength = "content-length"
    case chunked
    /// Delimited by the connection closing (responses only).
    case close
}

public struct HTTPRequest: Hashable, Sendable {
    public var at: Double
    public var method: String
    /// The request-target as sent: `/ws?token=…`.
    public var target: String
    public var version: String
    public var headers: [HeaderField]
    public var body: Body?
    public var framing: BodyFraming
    public var trailers: [HeaderField]

    public init(
        at: Double, method: String, target: String, version: String = "HTTP/1.1",
        headers: [HeaderField], body: Body? = nil, framing: BodyFraming = .none, trailers: [HeaderField] = []
    ) {
        self.at = at
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.framing = framing
        self.trailers = trailers
    }

    /// The path part of the target, without the query.
    public var path: String {
        String(target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    /// The query string (after `?`), or nil.
    public var query: String? {
        guard let q = target.firstIndex(of: "?") else { return nil }
        return String(target[target.index(after: q)...])
    }
}

public struct HTTPResponse: Hashable, Sendable {
    public var at: Double
    public var version: String
    public var status: Int
    public var reason: String
    public var headers: [HeaderField]
    public var body: Body?
    public var framing: BodyFraming
    public var trailers: [HeaderField]
    /// Interim 1xx responses (100 Continue, 103 Early Hints) that came first.
    public var interim: [InterimResponse]
    /// How a streamed body arrived over time (ResponseStream.swift); nil for
    /// a body that is not streamed.
    public var stream: ResponseStream?

    public init(
        at: Double, version: String = "HTTP/1.1", status: Int, reason: String, headers: [HeaderField],
        body: Body? = nil, framing: BodyFraming = .none, trailers: [HeaderField] = [], interim: [InterimResponse] = [],
        stream: ResponseStream? = nil
    ) {
        self.at = at
        self.version = version
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.framing = framing
        self.trailers = trailers
        self.interim = interim
        self.stream = stream
    }
}

public struct InterimResponse: Hashable, Sendable {
    public var at: Double
    public var status: Int
    public var reason: String
    public var headers: [HeaderField]

    public init(at: Double, status: Int, reason: String, headers: [HeaderField]) {
        self.at = at
        self.status = status
        self.reason = reason
        self.headers = headers
    }
}

/// A request and the response it got (nil when none was captured).
public struct HTTPExchange: Hashable, Sendable {
    public var request: HTTPRequest
    public var response: HTTPResponse?

    public init(request: HTTPRequest, response: HTTPResponse?) {
        self.request = request
        self.response = response
    }

    /// True when this exchange switched the connection to WebSocket (RFC 6455 §4.2.2).
    public var isWebSocketUpgrade: Bool {
        guard let response, response.status == 101 else { return false }
        return response.headers.listElements("Upgrade").contains { $0.lowercased() == "websocket" }
    }
}
