public import TrafficModel

extension ConnectionDecoder {
    /// Puts the TLS record layer under this connection when its first bytes
    /// are a ClientHello or ServerHello; the decrypted bytes then go through
    /// the same HTTP/WebSocket decoding as a plaintext connection's. False
    /// when the bytes are not a TLS hello.
    package mutating func startTLS(firstBytes bytes: ArraySlice<UInt8>, from wireDirection: Direction, secrets: any TLSSecretSource) -> Bool {
        guard tls == nil, mode == .undecided, TLSRecordReader.looksLikeHello(bytes) == true else { return false }
        // Byte 5 is the handshake type: a ClientHello (1) comes from the client.
        let fromClient = bytes[bytes.startIndex + 5] == 1
        if fromClient != (role(wireDirection) == .client) { swapEndpoints() }
        tls = TLSDecryptor(secrets: secrets)
        session.tls = TLSInfo()
        return true
    }

    mutating func receiveTLS(_ bytes: ArraySlice<UInt8>, from direction: Direction, at: Double) {
        guard var decryptor = tls else { return }
        tls = nil  // so the decryptor is mutated in place, not copied
        let events = decryptor.receive(bytes, from: direction)
        tls = decryptor
        apply(events, at: at)
    }

    mutating func tlsGap(_ count: Int, from direction: Direction, at: Double) {
        session.anomalies.append(Anomaly(kind: .gap, direction: direction, at: at, detail: "\(count) bytes missing from the \(direction.rawValue) stream", bytes: count))
        guard var decryptor = tls else { return }
        let events = decryptor.gap(from: direction)
        tls = decryptor
        apply(events, at: at)
    }

    mutating func finishTLS(at: Double) {
        guard var decryptor = tls else { return }
        let events = decryptor.finish()
        tls = decryptor
        apply(events, at: at)
    }

    private mutating func apply(_ events: [TLSDecryptor.Event], at: Double) {
        session.tls = tls?.info
        for event in events {
            switch event {
            case .anomaly(var anomaly):
                anomaly.at = at
                session.anomalies.append(anomaly)
            case .plaintext(let direction, let bytes):
                if mode == .undecided {
                    if session.tls?.alpn == "h2" || bytes.starts(with: Self.http2Preface) {
                        // HTTP/2 is not decoded; its bytes are not kept either, since
                        // HPACK-coded credentials would pass redaction unseen.
                        mode = .undecoded
                        session.anomalies.append(Anomaly(kind: .undecoded, at: at, detail: "HTTP/2 over TLS (ALPN h2) is recognised but not decoded; the session keeps its TLS details only"))
                        continue
                    }
                    // `decide` takes the reassembler's direction; role() maps it back.
                    _ = decide(firstBytes: bytes[...], from: role(direction))
                }
                if mode == .undecoded && session.tls?.alpn == "h2" { continue }
                receivePlaintext(bytes[...], from: direction, at: at)
            }
        }
    }

    /// The client connection preface of HTTP/2 (RFC 9113 §3.4).
    static let http2Preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
}
