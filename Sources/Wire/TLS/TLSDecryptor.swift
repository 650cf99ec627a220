public import TrafficModel

/// One TLS connection, both directions: records in, plaintext out, with the
/// key log's secrets. Pure: it asks a `TLSSecretSource` for keys and
/// otherwise only turns bytes into events.
///
/// Records are opened in order. A record that needs state not known yet (the
/// ServerHello, or keys a live client has not written to its log so far) is
/// held, up to `maxHeldBytes` per direction, and the lookup is tried again on
/// the next bytes and at the end; after that, or when no key exists, an
/// anomaly names the client random and the rest is left encrypted.
public struct TLSDecryptor: Sendable {
    public enum Event: Sendable, Equatable {
        /// Decrypted application data (RFC 8446 §5.1 application_data).
        case plaintext(Direction, [UInt8])
        /// Something that stopped or damaged decryption; `at` is left for the caller.
        case anomaly(Anomaly)
    }

    /// Held records per direction while waiting for keys (default 4 MiB).
    public static let maxHeldBytes = 4 << 20

    public internal(set) var info = TLSInfo()
    public internal(set) var clientRandom: [UInt8]?
    /// The ClientHello's session ID, to tell a resumed TLS 1.2 handshake from a full one.
    var clientSessionID: [UInt8] = []
    /// The ClientHello's TLS 1.2 session ticket (empty when none).
    var clientTicket: [UInt8] = []
    /// TLS 1.2: the master secret in use, remembered with the tickets the server issues.
    var tls12MasterSecret: [UInt8]?
    let secrets: any TLSSecretSource
    var halves = DirectionPair(repeating: Half())
    var serverHello: TLSServerHello?
    var suite: TLSCipherSuite?
    var keys: KeyState = .beforeServerHello
    /// TLS 1.3: each direction's application traffic secret, from the log, then after KeyUpdates.
    var trafficSecrets = DirectionPair<[UInt8]?>(repeating: nil)
    /// TLS 1.2: each direction's cipher, switched on at its ChangeCipherSpec.
    var pendingTLS12 = DirectionPair<TLSRecordCipher?>(repeating: nil)
    /// TLS 1.3 0-RTT: what the client's records after its ClientHello are (TLSDecryptor+EarlyData).
    var earlyData = EarlyData.none
    /// The client's handshake cipher, set aside while its early data is read with the early key.
    var clientHandshakeCipher: TLSRecordCipher?
    /// Early-data bytes skipped because they could not be decrypted.
    var skippedEarlyBytes = 0
    /// A HelloRetryRequest was seen (TLS 1.3, RFC 8446 §4.1.4).
    var helloRetried = false
    /// TLS 1.2: a renegotiation under way (TLSDecryptor+Renegotiation).
    var renegotiation: Renegotiation?

    enum KeyState: Sendable, Equatable {
        case beforeServerHello
        /// The ServerHello is known; the secrets are not in the log (yet).
        case waiting
        case ready
        /// No decryption for this connection; the reason was reported.
        case failed
    }

    struct Half: Sendable {
        var records = TLSRecordReader()
        var handshake = TLSHandshakeReader()
        var held = TLSHeldRecords()
        var cipher: TLSRecordCipher?
        /// This direction switched keys but the log does not have the new ones
        /// yet: TLS 1.3 after its Finished (a live client writes
        /// CLIENT_TRAFFIC_SECRET_0 only after sending it), TLS 1.2 after the
        /// ChangeCipherSpec of a renegotiation. Its records wait.
        var awaitsKey = false
        /// TLS 1.3: this direction's handshake Finished was read. A later
        /// Finished (post-handshake client authentication, RFC 8446 §4.6.2)
        /// comes under the application keys and changes none.
        var handshakeFinished = false
        /// No more records of this direction are decrypted (a failed record, a missing key).
        var dead = false
        /// No more bytes of this direction are read (a gap, a bad record header);
        /// the records read before it are still decrypted when their keys come.
        var ended = false
    }

    public init(secrets: any TLSSecretSource) {
        self.secrets = secrets
    }

    public mutating func receive(_ bytes: ArraySlice<UInt8>, from direction: Direction) -> [Event] {
        var events: [Event] = []
        guard !halves[direction].dead, !halves[direction].ended else { return events }
        halves[direction].records.append(bytes)
        if keys == .waiting { resolveKeys(into: &events, final: false) }
        pump(direction, into: &events)
        pump(direction.reversed, into: &events)
        // The other direction may have let this one's held records go (0-RTT waits for the server's answer).
        if !halves[direction].held.isEmpty { pump(direction, into: &events) }
        return events
    }

    /// Bytes missing from one direction: record boundaries are lost, so the
    /// rest of that direction stays encrypted.
    public mutating func gap(from direction: Direction) -> [Event] {
        guard !halves[direction].dead, !halves[direction].ended else { return [] }
        halves[direction].ended = true
        guard keys != .failed else { return [] }
        return [.anomaly(Anomaly(kind: .tlsUndecryptable, direction: direction, detail: "a gap in the \(direction.rawValue) stream loses the TLS record boundaries; the rest of it is not decrypted"))]
    }

    /// The connection ended: a last key lookup, then what could not be done is reported.
    public mutating func finish() -> [Event] {
        var events: [Event] = []
        if keys == .waiting {
            resolveKeys(into: &events, final: true)
            pump(.client, into: &events)
            pump(.server, into: &events)
        }
        if earlyData == .offered {
            // The server's EncryptedExtensions never came: read what opens with the handshake key.
            earlyData = .rejected
            pump(.client, into: &events)
        }
        reportUnendedEarlyData(into: &events)
        for direction in [Direction.client, .server] where halves[direction].awaitsKey && !halves[direction].dead && keys != .failed {
            if installAwaitedKey(direction) {
                pump(direction, into: &events)
            } else {
                failAwaitedKey(direction, into: &events)
            }
        }
        if keys == .beforeServerHello && clientRandom != nil {
            events.append(.anomaly(Anomaly(kind: .tlsUndecryptable, detail: "no ServerHello was seen (the handshake did not complete); nothing was decrypted")))
            keys = .failed
        }
        for direction in [Direction.client, .server] where !halves[direction].dead && !halves[direction].ended && keys != .failed {
            let partial = halves[direction].records.bufferedByteCount
            if partial > 0 {
                events.append(.anomaly(Anomaly(kind: .truncated, direction: direction, detail: "the \(direction.rawValue) stream ended inside a TLS record (\(partial) bytes of it seen)", bytes: partial)))
            }
        }
        return events
    }

    // MARK: - Records

    /// Handles this direction's records in order. While they wait for keys,
    /// every new record is moved into the held ones (not left in the reader),
    /// so `maxHeldBytes` bounds all that waits.
    private mutating func pump(_ direction: Direction, into events: inout [Event]) {
        while !halves[direction].dead {
            if let record = halves[direction].held.first, ready(for: record, from: direction) {
                halves[direction].held.removeFirst()
                handle(record, from: direction, into: &events)
                continue
            }
            let record: TLSRecord
            do {
                guard !halves[direction].ended, let next = try halves[direction].records.next() else { return }
                record = next
            } catch {
                halves[direction].ended = true
                events.append(.anomaly(Anomaly(kind: .tlsUndecryptable, direction: direction, detail: "\(error); the rest of the \(direction.rawValue) stream is not decrypted")))
                return
            }
            if halves[direction].held.isEmpty, ready(for: record, from: direction) {
                handle(record, from: direction, into: &events)
            } else {
                halves[direction].held.append(record)
                if halves[direction].held.bytes > Self.maxHeldBytes { giveUpWaiting(direction, into: &events) }
            }
        }
    }

    /// Whether `record` can be handled now; a direction waiting for its
    /// keys looks them up again first.
    private mutating func ready(for record: TLSRecord, from direction: Direction) -> Bool {
        if halves[direction].awaitsKey, !installAwaitedKey(direction) { return false }
        if direction == .client, earlyData == .offered, keys == .ready { return false }  // until EncryptedExtensions says
        return switch keys {
        // Before the ServerHello only the hellos are read, and after a HelloRetryRequest
        // the ChangeCipherSpec TLS 1.3 peers send for middleboxes (RFC 8446 §D.4). All else
        // waits in order: 0-RTT data, and a TLS 1.2 ChangeCipherSpec (with the encrypted
        // Finished after it) seen before the ServerHello when a capture delivers one
        // direction ahead of the other.
        case .beforeServerHello:
            record.contentType == TLSRecord.handshake || (record.contentType == TLSRecord.changeCipherSpec && helloRetried)
        case .waiting: false
        case .ready, .failed: true
        }
    }

    private mutating func handle(_ record: TLSRecord, from direction: Direction, into events: inout [Event]) {
        if keys == .failed { return }
        let tls13 = serverHello?.version == 0x0304
        if record.contentType == TLSRecord.changeCipherSpec {
            // TLS 1.3 sends it only for middleboxes (RFC 8446 §5); in 1.2 it switches this direction to its keys.
            if !tls13, let cipher = pendingTLS12[direction] {
                halves[direction].cipher = cipher
                pendingTLS12[direction] = nil
                if renegotiation != nil { renegotiationSwitched(direction) }
            } else if !tls13, renegotiation != nil {
                awaitRenegotiatedKeys(direction)
            }
            return
        }
        guard var cipher = halves[direction].cipher else {
            switch record.contentType {
            case TLSRecord.handshake: handshake(record.fragment, from: direction, into: &events)
            case TLSRecord.applicationData:
                fail(direction, "application data arrived before the \(direction.rawValue)'s keys were in use", into: &events)
            default: break  // plaintext alerts, heartbeats
            }
            return
        }
        let opened: (type: UInt8, plaintext: [UInt8])
        do {
            opened = try cipher.open(record)
        } catch {
            if direction == .client, skipsEarlyData(record) { return }  // the cipher (its sequence) is left as it was
            let why = error == .authentication ? "failed authentication (a wrong key in the log, or a damaged record)" : "is malformed (\(error))"
            fail(direction, "record \(cipher.sequence) of the \(direction.rawValue) stream (stream offset \(record.offset)) \(why)", into: &events)
            return
        }
        halves[direction].cipher = cipher
        if direction == .client { endSkippingEarlyData(into: &events) }
        switch opened.type {
        case TLSRecord.applicationData:
            if !opened.plaintext.isEmpty { events.append(.plaintext(direction, opened.plaintext)) }
        case TLSRecord.handshake:
            handshake(opened.plaintext, from: direction, into: &events)
        default:
            break  // alerts (close_notify) end nothing the TCP close does not
        }
    }

    mutating func fail(_ direction: Direction, _ detail: String, into events: inout [Event]) {
        halves[direction].dead = true
        events.append(.anomaly(Anomaly(kind: .tlsUndecryptable, direction: direction, detail: "\(detail); the rest of the \(direction.rawValue) stream is not decrypted")))
    }

    /// Stops decrypting the whole connection, once, with the reason.
    mutating func failConnection(_ detail: String, into events: inout [Event]) {
        guard keys != .failed else { return }
        keys = .failed
        for direction in [Direction.client, .server] {
            halves[direction].held.removeAll()
        }
        events.append(.anomaly(Anomaly(kind: .tlsUndecryptable, detail: detail)))
    }

    private mutating func giveUpWaiting(_ direction: Direction, into events: inout [Event]) {
        if direction == .client, earlyData == .offered, keys == .ready {
            earlyData = .rejected  // no EncryptedExtensions in time: read on as if the early data was declined
            return
        }
        if halves[direction].awaitsKey {
            failAwaitedKey(direction, into: &events)
            halves[direction].held.removeAll()
            return
        }
        switch keys {
        case .waiting: resolveKeys(into: &events, final: true)
        case .beforeServerHello: failConnection("more than \(Self.maxHeldBytes) bytes arrived before a ServerHello; nothing was decrypted", into: &events)
        case .ready, .failed: break
        }
    }
}
