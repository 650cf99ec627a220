public import TrafficModel

/// An incremental parser for `text/event-stream` bodies, following the
/// WHATWG HTML "interpreting an event stream" rules (§9.2.6): lines end in
/// CRLF, LF or a lone CR; a leading BOM is dropped; `:` starts a comment; a
/// field's value loses one leading space; `data` lines join with LF; an `id`
/// holding NUL is ignored; `retry` counts only when it is all digits; a
/// blank line ends the block; a block cut by the end of the stream is not
/// an event.
///
/// It differs from a browser on purpose in one way: it is a recorder, so it
/// returns every block that set anything, also one with no `data` (a browser
/// dispatches nothing for it, but its `retry`, `id` or keep-alive comment is
/// part of what the server sent).
///
/// Pure: append body bytes (chunk framing already removed), call `next()`
/// until nil. Offsets are body offsets; an event's `endOffset` is one past the
/// first byte of the line break that ended its blank line, so it does not
/// depend on how the bytes were cut into appends (a CR at the end of one
/// append already ends the line; the LF that may follow is skipped).
public struct ServerSentEventParser: Sendable {
    /// One event block and where it ended in the body.
    public struct Parsed: Hashable, Sendable {
        /// `at` is 0: the caller knows when `endOffset` arrived.
        public var event: ServerSentEvent
        public var endOffset: Int
    }

    /// Largest block accepted, from its first line to its blank line.
    /// Default 16 MiB, the HTTP parser's body limit: a longer one could not
    /// have been kept whole anyway.
    public let maxEventBytes: Int

    private var buffer: [UInt8] = []
    /// Body offset of `buffer[0]`.
    private var baseOffset = 0
    /// Body offset of the first byte not yet read as part of a line.
    private var consumed = 0
    private var bomChecked = false
    /// The last line ended with a CR at the end of the buffer: an LF next is its CRLF's.
    private var skipLineFeed = false
    /// Body offset where the block in progress began.
    private var blockStart = 0
    private var block = Block()

    private struct Block: Sendable {
        var id: String?
        var event: String?
        var data: [String]?
        var retry: Int?
        var comments: [String] = []
        var isEmpty: Bool { id == nil && event == nil && data == nil && retry == nil && comments.isEmpty }
    }

    public init(maxEventBytes: Int = 16 << 20) {
        precondition(maxEventBytes > 0, "maxEventBytes must be positive")
        self.maxEventBytes = maxEventBytes
    }

    /// Bytes of a block (or line) begun but not ended: what the end of the
    /// stream would lose.
    public var incompleteByteCount: Int {
        block.isEmpty ? baseOffset + buffer.count - max(consumed, blockStart) : baseOffset + buffer.count - blockStart
    }

    public mutating func append(_ bytes: some Collection<UInt8>) {
        let used = consumed - baseOffset
        if used == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            baseOffset = consumed
        } else if used >= 64 << 10 && used >= buffer.count / 2 {
            buffer.removeSubrange(0..<used)
            baseOffset = consumed
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete block, or nil when more bytes are needed.
    public mutating func next() throws(WireError) -> Parsed? {
        let end = baseOffset + buffer.count
        if !bomChecked {
            let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
            let have = buffer[(consumed - baseOffset)...].prefix(3)
            if have.count < 3 && bom.starts(with: have) { return nil }
            if have.elementsEqual(bom) { consumed += 3 }
            bomChecked = true
            blockStart = consumed
        }
        while true {
            if skipLineFeed, consumed < end {
                if buffer[consumed - baseOffset] == 0x0A { consumed += 1 }
                skipLineFeed = false
            }
            guard let lineEnd = lineBreak(from: consumed, to: end) else {
                if end - blockStart > maxEventBytes {
                    throw WireError(.eventOverLimit, offset: blockStart, reason: "an event longer than \(maxEventBytes) bytes without a blank line ending it")
                }
                return nil
            }
            let line = buffer[(consumed - baseOffset)..<(lineEnd - baseOffset)]
            // CR: the line is over; an LF after it belongs to it (now or in the next append).
            if buffer[lineEnd - baseOffset] == 0x0D {
                if lineEnd + 1 < end {
                    consumed = lineEnd + (buffer[lineEnd + 1 - baseOffset] == 0x0A ? 2 : 1)
                } else {
                    consumed = lineEnd + 1
                    skipLineFeed = true
                }
            } else {
                consumed = lineEnd + 1
            }
            if line.isEmpty {
                defer { block = Block(); blockStart = consumed }
                if block.isEmpty { continue }
                if lineEnd - blockStart > maxEventBytes {
                    throw WireError(.eventOverLimit, offset: blockStart, reason: "an event of \(lineEnd - blockStart) bytes is over the limit of \(maxEventBytes)")
                }
                let event = ServerSentEvent(
                    at: 0, id: block.id, event: block.event, data: block.data?.joined(separator: "\n"),
                    retry: block.retry, comments: block.comments
                )
                return Parsed(event: event, endOffset: lineEnd + 1)
            }
            interpret(line)
        }
    }

    /// The offset of the first CR or LF in `from..<to`.
    private func lineBreak(from: Int, to: Int) -> Int? {
        var i = from
        while i < to {
            let byte = buffer[i - baseOffset]
            if byte == 0x0A || byte == 0x0D { return i }
            i += 1
        }
        return nil
    }

    private mutating func interpret(_ line: ArraySlice<UInt8>) {
        let colon = line.firstIndex(of: UInt8(ascii: ":"))
        if colon == line.startIndex {
            block.comments.append(Self.value(line.dropFirst()))
            return
        }
        let name = String(decoding: colon.map { line[..<$0] } ?? line, as: UTF8.self)
        let value = colon.map { Self.value(line[line.index(after: $0)...]) } ?? ""
        switch name {
        case "event": block.event = value
        case "data": block.data = (block.data ?? []) + [value]
        case "id": if !value.contains("\0") { block.id = value }
        case "retry":
            if !value.isEmpty, value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }), let ms = Int(value) {
                block.retry = ms
            }
        default: break  // unknown fields are ignored (§9.2.6)
        }
    }

    /// A field value: one leading space dropped, decoded as UTF-8 (invalid
    /// sequences replaced, as the standard's decoder does).
    private static func value(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.first == UInt8(ascii: " ") ? bytes.dropFirst() : bytes, as: UTF8.self)
    }
}

extension ServerSentEventParser {
    /// Every complete block of a whole body, and how many bytes at its end
    /// were not a complete block (the stream was cut there).
    public static func events(in body: some Collection<UInt8>, maxEventBytes: Int = 16 << 20) throws(WireError) -> (events: [Parsed], incompleteBytes: Int) {
        var parser = ServerSentEventParser(maxEventBytes: maxEventBytes)
        parser.append(body)
        var events: [Parsed] = []
        while let parsed = try parser.next() { events.append(parsed) }
        return (events, parser.incompleteByteCount)
    }
}
