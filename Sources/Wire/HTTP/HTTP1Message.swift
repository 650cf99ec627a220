public import TrafficModel

/// One HTTP/1.1 message as it was on the wire, with its place in the stream.
public struct HTTP1Message: Hashable, Sendable {
    public enum StartLine: Hashable, Sendable {
        case request(method: String, target: String, version: String)
        case response(version: String, status: Int, reason: String)
    }

    public var startLine: StartLine
    /// Field lines in wire order, name case kept, values trimmed of OWS and
    /// obs-folds replaced by one space.
    public var headers: [HeaderField]
    /// The decoded body (chunk framing removed), at most `maxBodyBytes` long.
    public var body: [UInt8]
    /// Length of the whole decoded body, also when `body` was truncated.
    public var bodyLength: Int
    /// True when the body was longer than `HTTP1Limits.maxBodyBytes`.
    public var bodyTruncated: Bool
    public var framing: BodyFraming
    public var trailers: [HeaderField]
    /// Offset of the first byte of the start line in this direction's stream.
    public var startOffset: Int
    /// One past the last byte of the message (the body, the last chunk's
    /// trailer section, or the stream end for a close-delimited body).
    public var endOffset: Int
    /// Stream offset of the body's first byte (one past the head). Body byte
    /// `k` of a fixed-length or close-delimited body is at `bodyOffset + k`.
    public var bodyOffset: Int
    /// Where each chunk of a chunked body ended, in order, so a streamed
    /// body can be timed piece by piece (issue 15). Kept while the body is
    /// within `maxBodyBytes` and for at most `maxRecordedChunks` chunks.
    public var chunks: [HTTP1BodyChunk]

    public init(
        startLine: StartLine, headers: [HeaderField], body: [UInt8] = [], bodyLength: Int? = nil,
        bodyTruncated: Bool = false, framing: BodyFraming = .none, trailers: [HeaderField] = [],
        startOffset: Int, endOffset: Int, bodyOffset: Int? = nil, chunks: [HTTP1BodyChunk] = []
    ) {
        self.startLine = startLine
        self.headers = headers
        self.body = body
        self.bodyLength = bodyLength ?? body.count
        self.bodyTruncated = bodyTruncated
        self.framing = framing
        self.trailers = trailers
        self.startOffset = startOffset
        self.endOffset = endOffset
        self.bodyOffset = bodyOffset ?? endOffset
        self.chunks = chunks
    }

    /// Chunk ends kept per message; a stream of more tiny chunks is timed
    /// by its first ones only (64 Ki entries, 1 MiB of offsets).
    public static let maxRecordedChunks = 1 << 16

    /// The stream offset at which body byte `bodyEnd - 1` arrived, for a
    /// `bodyEnd` in `1...body.count` (0 gives the body's start).
    public func streamOffset(ofBodyEnd bodyEnd: Int) -> Int {
        guard framing == .chunked else { return bodyOffset + bodyEnd }
        // The first chunk that reaches bodyEnd; a chunk's data ends just before its CRLF.
        for chunk in chunks where chunk.bodyEnd >= bodyEnd {
            return chunk.streamEnd - (chunk.bodyEnd - bodyEnd)
        }
        return endOffset
    }

    public var version: String {
        switch startLine {
        case .request(_, _, let version), .response(let version, _, _): return version
        }
    }

    /// The request method; nil for a response.
    public var method: String? {
        if case .request(let method, _, _) = startLine { return method }
        return nil
    }

    /// The request-target; nil for a response.
    public var target: String? {
        if case .request(_, let target, _) = startLine { return target }
        return nil
    }

    /// The status code; nil for a request.
    public var status: Int? {
        if case .response(_, let status, _) = startLine { return status }
        return nil
    }

    /// The reason phrase; nil for a request.
    public var reason: String? {
        if case .response(_, _, let reason) = startLine { return reason }
        return nil
    }
}

/// What `HTTP1Parser.next()` and `finish()` yield.
public enum HTTP1Event: Hashable, Sendable {
    /// A complete message.
    case message(HTTP1Message)
    /// The stream ended (`finish()`) inside this message's body: its head is
    /// complete, `body` holds what arrived and `endOffset` is the stream end.
    case incompleteMessage(HTTP1Message)
}

/// The end of one chunk of a chunked body: in the decoded body and in the stream.
public struct HTTP1BodyChunk: Hashable, Sendable {
    /// One past the chunk's last byte in the decoded body.
    public var bodyEnd: Int
    /// One past the chunk's last data byte in the stream (before its CRLF).
    public var streamEnd: Int

    public init(bodyEnd: Int, streamEnd: Int) {
        self.bodyEnd = bodyEnd
        self.streamEnd = streamEnd
    }
}
