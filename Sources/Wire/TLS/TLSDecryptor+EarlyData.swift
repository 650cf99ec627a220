import TrafficModel

/// TLS 1.3 0-RTT (RFC 8446 §2.3, §4.2.10). A resuming client may send
/// application data right after its ClientHello, under the early traffic
/// secret; whether the server took it is said only in its EncryptedExtensions.
/// So the client's records wait for that answer:
/// - accepted: they open with CLIENT_EARLY_TRAFFIC_SECRET up to EndOfEarlyData,
///   then with the handshake key;
/// - rejected (or a retry, or no PSK): the server skipped them unread, and so
///   does this, up to the first record the handshake key opens;
/// - accepted but the log lacks the early secret: skipped likewise, with an
///   anomaly, since the server did act on what is lost.
extension TLSDecryptor {
    /// Early data skipped at most (servers allow 16 KiB, OpenSSL's default
    /// max_early_data, to a few hundred); past it, a record the handshake key
    /// does not open is the failure it looks like (a wrong key), not early data.
    public static let maxSkippedEarlyBytes = 1 << 20

    enum EarlyData: Sendable, Equatable {
        /// The ClientHello offered none.
        case none
        /// Offered; the server's EncryptedExtensions will say.
        case offered
        /// Accepted, and the client is reading with the early key.
        case accepted
        /// Rejected: records that do not open with the handshake key are skipped.
        case rejected
        /// Accepted, but the key log has no CLIENT_EARLY_TRAFFIC_SECRET.
        case acceptedWithoutKey
    }

    mutating func startEarlyData(accepted: Bool) {
        guard accepted else {
            earlyData = .rejected
            return
        }
        guard let suite, let clientRandom, let secret = secrets.secrets(forClientRandom: clientRandom)?[.clientEarlyTrafficSecret] else {
            earlyData = .acceptedWithoutKey
            return
        }
        // The early key uses the suite of the PSK's session, which a server accepting 0-RTT must have chosen again (RFC 8446 §4.2.10).
        clientHandshakeCipher = halves.client.cipher
        halves.client.cipher = TLSRecordCipher(suite: suite, keys: TLSKeySchedule.tls13Keys(suite: suite, trafficSecret: secret), tls13: true)
        earlyData = .accepted
    }

    mutating func endEarlyData() {
        halves.client.cipher = clientHandshakeCipher
        clientHandshakeCipher = nil
        earlyData = .none
    }

    /// A client record the current key does not open: skipped while early data may still come.
    mutating func skipsEarlyData(_ record: TLSRecord) -> Bool {
        guard earlyData == .rejected || earlyData == .acceptedWithoutKey, record.contentType == TLSRecord.applicationData,
              skippedEarlyBytes + record.fragment.count <= Self.maxSkippedEarlyBytes else { return false }
        skippedEarlyBytes += record.fragment.count
        return true
    }

    /// The connection ended while client records were still being skipped:
    /// none opened with the handshake key after them, which says so.
    mutating func reportUnendedEarlyData(into events: inout [Event]) {
        guard earlyData == .rejected || earlyData == .acceptedWithoutKey, skippedEarlyBytes > 0, !halves.client.dead else { return }
        events.append(.anomaly(Anomaly(
            kind: .tlsUndecryptable, direction: .client,
            detail: "\(skippedEarlyBytes) bytes of client records after 0-RTT was offered never opened with the handshake key (a wrong key in the log, or the connection ended during early data)",
            bytes: skippedEarlyBytes)))
        earlyData = .none
    }

    /// A client record opened: the early data, if any was skipped, is over.
    mutating func endSkippingEarlyData(into events: inout [Event]) {
        guard earlyData == .rejected || earlyData == .acceptedWithoutKey else { return }
        if earlyData == .acceptedWithoutKey {
            events.append(.anomaly(Anomaly(
                kind: .tlsUndecryptable, direction: .client,
                detail: "the server accepted \(skippedEarlyBytes) bytes of 0-RTT early data, but the key log has no CLIENT_EARLY_TRAFFIC_SECRET for client random \(TLSKeyLog.hexString(clientRandom ?? [])); they are not decrypted",
                bytes: skippedEarlyBytes)))
        }
        earlyData = .none
    }
}
