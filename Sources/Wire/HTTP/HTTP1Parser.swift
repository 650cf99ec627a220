import TrafficModel

/// An incremental, passive HTTP/1.1 message parser (RFC 9112) for one
/// direction of a captured TCP connection.
///
/// Feed the reassembled bytes with `append(_:)` and call `next()` until it
/// returns nil ("need more bytes"); at the end of the stream call `finish()`
/// until it returns nil. A connection needs two parsers: `.request` for the
/// client's bytes and `.response` for the server's. Because a response can
/// only be framed knowing the method it answers (HEAD, CONNECT), the caller
/// passes each parsed request's method to the response parser with
/// `enqueueRequestMethod(_:)`, so requests must be parsed before the
/// responses that answer them (capture order does that).
///
/// Leaving HTTP:
/// - A request with an `Upgrade` field or the CONNECT method is returned, then
///   the parser waits (`status == .awaitingUpgradeDecision`, `next()` returns
///   nil) until the caller either calls `resumeAfterRefusedUpgrade()` (the
///   server answered with anything but 101 / 2xx-to-CONNECT) or takes the
///   bytes of the new protocol with `takeRemainingBytes()`.
/// - A 101 response, or a 2xx response to CONNECT, is returned and the parser
///   switches to `.switchedProtocols`; `takeRemainingBytes()` returns what
///   followed it.
///
/// Memory: consumed bytes are dropped from the front of the buffer in bulk
/// (not per message), and bodies beyond `HTTP1Limits.maxBodyBytes` are
/// skipped rather than kept, so a stream of any length parses in bounded
/// memory as long as `next()` is called after each `append(_:)`.
public struct HTTP1Parser: Sendable {
    public enum Role: Hashable, Sendable {
        case request
        case response
    }

    public enum Status: Equatable, Sendable {
        /// Parsing HTTP messages (possibly in the middle of one).
        case parsing
        /// A request asked to leave HTTP (Upgrade, CONNECT); waiting for the
        /// caller to say whether the server agreed.
        case awaitingUpgradeDecision
        /// The connection left HTTP: the buffered bytes belong to the new
        /// protocol (`takeRemainingBytes()`).
        case switchedProtocols
        /// `finish()` was called and everything was returned.
        case finished
        case failed(WireError)
    }

    /// Where parsing stands. Offsets are stream offsets, never buffer indices,
    /// so they stay valid when the buffer is compacted.
    package enum State: Sendable {
        /// Waiting for the empty line that ends a head; the search for it
        /// resumes at `scanFrom` instead of rescanning from the start.
        case head(scanFrom: Int)
        case fixedBody(remaining: Int)
        case chunkSizeLine(scanFrom: Int)
        case chunkData(remaining: Int)
        /// The CRLF after a chunk's data.
        case chunkDataEnd
        case trailers(scanFrom: Int)
        case untilClose
        case awaitingUpgradeDecision
        case switchedProtocols
        case finished
        case failed(WireError)
    }

    /// What the parser does once the current message is complete.
    package enum AfterMessage: Sendable {
        case continueHTTP
        case awaitUpgradeDecision
        case switchProtocols
    }

    /// Consumed bytes are only dropped once at least this many have piled up
    /// (and they are at least half the buffer), so compaction stays amortized.
    package static let compactionThreshold = 64 * 1024

    public let role: Role
    public let limits: HTTP1Limits
    package var buffer: [UInt8] = []
    /// Stream offset of `buffer[0]`.
    package var baseOffset = 0
    /// Stream offset of the first byte not yet parsed.
    package var consumed = 0
    package var state: State = .head(scanFrom: 0)
    /// The message whose body is being read.
    package var current: HTTP1Message?
    package var afterCurrent: AfterMessage = .continueHTTP
    package var requestMethods: [String] = []
    package var requestMethodsHead = 0
    package var endOfStream = false

    public init(role: Role, limits: HTTP1Limits = .default) {
        self.role = role
        self.limits = limits
    }

    public var status: Status {
        switch state {
        case .head, .fixedBody, .chunkSizeLine, .chunkData, .chunkDataEnd, .trailers, .untilClose: return .parsing
        case .awaitingUpgradeDecision: return .awaitingUpgradeDecision
        case .switchedProtocols: return .switchedProtocols
        case .finished: return .finished
        case .failed(let error): return .failed(error)
        }
    }

    /// Stream offset of the first byte not yet parsed (where
    /// `takeRemainingBytes()` would start).
    public var offset: Int { consumed }

    /// Bytes appended but not yet parsed.
    public var bufferedByteCount: Int { bufferEnd - consumed }

    /// Tells a `.response` parser the method of the next request on the
    /// connection, in request order.
    public mutating func enqueueRequestMethod(_ method: String) {
        requestMethods.append(method)
    }

    /// Buffers bytes of the stream. Parsing happens in `next()`.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        let used = consumed - baseOffset
        if used == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            baseOffset = consumed
        } else if used >= Self.compactionThreshold && used >= buffer.count / 2 {
            buffer.removeSubrange(0..<used)
            baseOffset = consumed
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete message, or nil when more bytes are needed (or the
    /// parser has left HTTP, see `status`).
    public mutating func next() throws(WireError) -> HTTP1Event? {
        do {
            return try nextEvent()
        } catch {
            // Failed for good: the same error again on every call, the bytes
            // from where parsing stopped kept for `takeRemainingBytes()`.
            state = .failed(error)
            current = nil
            throw error
        }
    }

    package mutating func nextEvent() throws(WireError) -> HTTP1Event? {
        while true {
            switch state {
            case .head(let scanFrom):
                skipEmptyLines()
                let start = consumed
                let search = findSectionEnd(start: start, scanFrom: max(scanFrom, start))
                guard let end = search.end else {
                    if bufferEnd - start > limits.maxHeaderBytes {
                        throw WireError(.headerTooLarge, offset: start, reason: "message head longer than \(limits.maxHeaderBytes) bytes without an empty line ending it")
                    }
                    if endOfStream {
                        if buffer[(start - baseOffset)...].contains(where: { $0 != Self.cr && $0 != Self.lf }) {
                            throw WireError(.truncatedHead, offset: start, reason: "the stream ended inside a message head (\(bufferEnd - start) bytes)")
                        }
                        state = .finished
                        return nil
                    }
                    state = .head(scanFrom: search.resume)
                    return nil
                }
                if end - start > limits.maxHeaderBytes {
                    throw WireError(.headerTooLarge, offset: start, reason: "message head of \(end - start) bytes is over the limit of \(limits.maxHeaderBytes)")
                }
                try beginMessage(headStart: start, headEnd: end)

            case .fixedBody(let remaining):
                let count = min(remaining, bufferEnd - consumed)
                takeBody(count)
                if count == remaining { return .message(completeCurrent()) }
                state = .fixedBody(remaining: remaining - count)
                if endOfStream { return incompleteCurrent() }
                return nil

            case .chunkSizeLine(let scanFrom):
                guard let lineFeed = findLineFeed(from: max(scanFrom, consumed)) else {
                    if bufferEnd - consumed > limits.maxHeaderBytes {
                        throw WireError(.invalidChunkSize, offset: consumed, reason: "chunk-size line longer than \(limits.maxHeaderBytes) bytes")
                    }
                    if endOfStream { return incompleteCurrent() }
                    state = .chunkSizeLine(scanFrom: bufferEnd)
                    return nil
                }
                let lineStart = consumed
                let size = try withReader { reader throws(WireError) in
                    try reader.parseChunkSize(lineStart: lineStart, lineFeed: lineFeed)
                }
                consumed = lineFeed + 1
                state = size == 0 ? .trailers(scanFrom: consumed) : .chunkData(remaining: size)

            case .chunkData(let remaining):
                let count = min(remaining, bufferEnd - consumed)
                takeBody(count)
                if count == remaining {
                    if !current!.bodyTruncated && current!.chunks.count < HTTP1Message.maxRecordedChunks {
                        current!.chunks.append(HTTP1BodyChunk(bodyEnd: current!.bodyLength, streamEnd: consumed))
                    }
                    state = .chunkDataEnd
                    continue
                }
                state = .chunkData(remaining: remaining - count)
                if endOfStream { return incompleteCurrent() }
                return nil

            case .chunkDataEnd:
                // CRLF, or a bare LF (tolerated like everywhere else).
                guard consumed < bufferEnd else {
                    if endOfStream { return incompleteCurrent() }
                    return nil
                }
                switch byte(consumed) {
                case Self.lf:
                    consumed += 1
                case Self.cr:
                    guard consumed + 1 < bufferEnd else {
                        if endOfStream { return incompleteCurrent() }
                        return nil
                    }
                    guard byte(consumed + 1) == Self.lf else {
                        throw WireError(.invalidChunkTerminator, offset: consumed + 1, reason: "chunk data not followed by CRLF")
                    }
                    consumed += 2
                default:
                    throw WireError(.invalidChunkTerminator, offset: consumed, reason: "chunk data longer than its chunk size (no CRLF after it)")
                }
                state = .chunkSizeLine(scanFrom: consumed)

            case .trailers(let scanFrom):
                let start = consumed
                let search = findSectionEnd(start: start, scanFrom: max(scanFrom, start))
                guard let end = search.end else {
                    if bufferEnd - start > limits.maxHeaderBytes {
                        throw WireError(.headerTooLarge, offset: start, reason: "trailer section longer than \(limits.maxHeaderBytes) bytes")
                    }
                    if endOfStream { return incompleteCurrent() }
                    state = .trailers(scanFrom: search.resume)
                    return nil
                }
                if end - start > limits.maxHeaderBytes {
                    throw WireError(.headerTooLarge, offset: start, reason: "trailer section of \(end - start) bytes is over the limit of \(limits.maxHeaderBytes)")
                }
                current!.trailers = try withReader { reader throws(WireError) in
                    var trailers: [HeaderField] = []
                    try reader.parseFieldSection(from: start, to: end, into: &trailers)
                    return trailers
                }
                consumed = end
                return .message(completeCurrent())

            case .untilClose:
                takeBody(bufferEnd - consumed)
                if endOfStream { return .message(completeCurrent()) }
                return nil

            case .awaitingUpgradeDecision, .switchedProtocols, .finished:
                return nil

            case .failed(let error):
                throw error
            }
        }
    }

    /// Marks the end of the stream (FIN, or the capture ended) and returns the
    /// next event: a close-delimited response completes; a message cut inside
    /// its body comes back as `.incompleteMessage`; a cut head is an error.
    /// Call it until it returns nil, like `next()`.
    public mutating func finish() throws(WireError) -> HTTP1Event? {
        endOfStream = true
        return try next()
    }

    /// The server did not switch protocols: go on parsing HTTP requests.
    /// Does nothing unless `status == .awaitingUpgradeDecision`.
    public mutating func resumeAfterRefusedUpgrade() {
        if case .awaitingUpgradeDecision = state {
            state = .head(scanFrom: consumed)
        }
    }

    /// Every byte not yet parsed, from stream offset `offset`. This ends HTTP
    /// parsing: unless the parser had failed or finished it moves to
    /// `.switchedProtocols` (a message in progress is dropped). Later appended
    /// bytes can be taken by calling it again.
    public mutating func takeRemainingBytes() -> [UInt8] {
        let rest = Array(buffer[(consumed - baseOffset)...])
        consumed = bufferEnd
        switch state {
        case .failed, .finished, .switchedProtocols:
            break
        case .head, .fixedBody, .chunkSizeLine, .chunkData, .chunkDataEnd, .trailers, .untilClose, .awaitingUpgradeDecision:
            current = nil
            state = .switchedProtocols
        }
        return rest
    }
}

extension HTTP1Parser {
    // Plain literals so the optimizer folds them (no lazy-init check in the byte loops).
    package static let lf: UInt8 = 0x0A
    package static let cr: UInt8 = 0x0D
    package static let space: UInt8 = 0x20
    package static let tab: UInt8 = 0x09

    package var bufferEnd: Int { baseOffset + buffer.count }

    @inline(__always) package func byte(_ offset: Int) -> UInt8 { buffer[offset - baseOffset] }

    /// RFC 9112 §2.2: empty lines before a request line are ignored (and,
    /// leniently, before a status line and after a body).
    package mutating func skipEmptyLines() {
        while consumed < bufferEnd {
            let first = byte(consumed)
            if first == Self.lf {
                consumed += 1
            } else if first == Self.cr && consumed + 1 < bufferEnd && byte(consumed + 1) == Self.lf {
                consumed += 2
            } else {
                return
            }
        }
    }

    /// Keeps the first `maxBodyBytes` of the body; the rest is only counted.
    package mutating func takeBody(_ count: Int) {
        guard count > 0 else { return }
        let from = consumed - baseOffset
        let room = limits.maxBodyBytes - current!.body.count
        if room > 0 {
            current!.body.append(contentsOf: buffer[from..<(from + min(count, room))])
        }
        current!.bodyLength += count
        if current!.bodyLength > limits.maxBodyBytes { current!.bodyTruncated = true }
        consumed += count
    }

    package mutating func completeCurrent() -> HTTP1Message {
        var message = current!
        current = nil
        message.endOffset = consumed
        switch afterCurrent {
        case .continueHTTP: state = .head(scanFrom: consumed)
        case .awaitUpgradeDecision: state = .awaitingUpgradeDecision
        case .switchProtocols: state = .switchedProtocols
        }
        return message
    }

    package mutating func incompleteCurrent() -> HTTP1Event {
        var message = current!
        current = nil
        message.endOffset = bufferEnd
        state = .finished
        return .incompleteMessage(message)
    }
}
