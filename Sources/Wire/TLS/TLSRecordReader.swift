/// One TLS record (RFC 8446 §5.1, RFC 5246 §6.2): as it was on the wire, still
/// encrypted when the connection's keys were in use.
public struct TLSRecord: Sendable, Equatable {
    /// ContentType: 20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data.
    public var contentType: UInt8
    public var version: UInt16
    public var fragment: [UInt8]
    /// Offset of the record's header in its direction's stream.
    public var offset: Int

    public static let changeCipherSpec: UInt8 = 20
    public static let alert: UInt8 = 21
    public static let handshake: UInt8 = 22
    public static let applicationData: UInt8 = 23

    /// The 5-byte header, the additional data of TLS 1.3's AEAD (RFC 8446 §5.2).
    var header: [UInt8] {
        [contentType, UInt8(version >> 8), UInt8(version & 0xFF), UInt8(fragment.count >> 8), UInt8(fragment.count & 0xFF)]
    }
}

/// Cuts one direction's byte stream into TLS records. Feed bytes as they
/// come (`append`), take records with `next()`: nil means "not enough bytes
/// yet", a thrown `WireError` means the stream is not TLS records (after
/// which the reader stays failed).
public struct TLSRecordReader: Sendable {
    /// TLSCiphertext.length may be at most 2^14 + 2048 (RFC 5246 §6.2.3; TLS
    /// 1.3 allows less, 2^14 + 256), so a longer one is not a record.
    public static let maxFragmentLength = (1 << 14) + 2048

    private var buffer: [UInt8] = []
    private var head = 0
    /// Stream offset of `buffer[0]`.
    private var base = 0
    private var failure: WireError?

    public init() {}

    public var bufferedByteCount: Int { buffer.count - head }

    public mutating func append(_ bytes: some Collection<UInt8>) {
        if head > 0 && head >= buffer.count / 2 {
            buffer.removeFirst(head)
            base += head
            head = 0
        }
        buffer.append(contentsOf: bytes)
    }

    public mutating func next() throws(WireError) -> TLSRecord? {
        if let failure { throw failure }
        guard buffer.count - head >= 5 else { return nil }
        let type = buffer[head]
        let version = UInt16(buffer[head + 1]) << 8 | UInt16(buffer[head + 2])
        let length = Int(buffer[head + 3]) << 8 | Int(buffer[head + 4])
        guard (20...24).contains(type), buffer[head + 1] == 3 else {
            let error = WireError(.invalidTLSRecord, offset: base + head, reason: "content type \(type), version 0x\(String(version, radix: 16)) is not a TLS record header")
            failure = error
            throw error
        }
        guard length <= Self.maxFragmentLength else {
            let error = WireError(.invalidTLSRecord, offset: base + head, reason: "a \(length)-byte record is over the \(Self.maxFragmentLength)-byte limit")
            failure = error
            throw error
        }
        guard buffer.count - head >= 5 + length else { return nil }
        let record = TLSRecord(contentType: type, version: version, fragment: Array(buffer[head + 5..<head + 5 + length]), offset: base + head)
        head += 5 + length
        return record
    }

    /// True when the first bytes of a stream look like a TLS handshake record
    /// carrying a ClientHello (1) or ServerHello (2); nil when too short to tell.
    public static func looksLikeHello(_ bytes: ArraySlice<UInt8>) -> Bool? {
        guard let first = bytes.first else { return nil }
        guard first == TLSRecord.handshake else { return false }
        guard bytes.count >= 6 else { return bytes.count < 2 || bytes[bytes.startIndex + 1] == 3 ? nil : false }
        let b = bytes.startIndex
        return bytes[b + 1] == 3 && bytes[b + 2] <= 4 && (bytes[b + 5] == 1 || bytes[b + 5] == 2)
    }
}

/// Reassembles handshake messages (RFC 8446 §4) from handshake records, which
/// may split one message or carry several.
struct TLSHandshakeReader: Sendable {
    /// Limits what an endless handshake message can hold in memory; a
    /// certificate chain is the largest message seen in practice.
    static let maxMessageLength = 1 << 18

    private var buffer: [UInt8] = []

    mutating func append(_ bytes: [UInt8]) { buffer.append(contentsOf: bytes) }

    /// The next whole message: its type and body.
    mutating func next() throws(WireError) -> (type: UInt8, body: [UInt8])? {
        guard buffer.count >= 4 else { return nil }
        let length = Int(buffer[1]) << 16 | Int(buffer[2]) << 8 | Int(buffer[3])
        guard length <= Self.maxMessageLength else {
            throw WireError(code: .invalidTLSHandshake, reason: "a \(length)-byte handshake message is over the \(Self.maxMessageLength)-byte limit")
        }
        guard buffer.count >= 4 + length else { return nil }
        let message = (buffer[0], Array(buffer[4..<4 + length]))
        buffer.removeFirst(4 + length)
        return message
    }
}
