import TrafficModel

extension TLSDecryptor {
    /// Handshake messages (RFC 8446 §4): the hellos give the randoms, version,
    /// suite, SNI and ALPN; in TLS 1.3, Finished switches a direction to its
    /// application keys and KeyUpdate moves it to the next ones.
    mutating func handshake(_ fragment: [UInt8], from direction: Direction, into events: inout [Event]) {
        halves[direction].handshake.append(fragment)
        while true {
            let message: (type: UInt8, body: [UInt8])
            do {
                guard let next = try halves[direction].handshake.next() else { return }
                message = next
            } catch {
                fail(direction, "\(error)", into: &events)
                return
            }
            do {
                try handle(handshakeMessage: message.type, message.body, from: direction, into: &events)
            } catch {
                failConnection("\(error); nothing more is decrypted", into: &events)
                return
            }
            if keys == .failed || halves[direction].dead { return }
        }
    }

    private mutating func handle(handshakeMessage type: UInt8, _ body: [UInt8], from direction: Direction, into events: inout [Event]) throws(WireError) {
        switch (type, direction) {
        case (1, .client) where clientRandom == nil:  // ClientHello (a second one after a HelloRetryRequest keeps the random)
            let hello = try TLSClientHello(parsing: body)
            clientRandom = hello.random
            clientSessionID = hello.sessionID
            clientTicket = hello.sessionTicket
            if hello.offersEarlyData { earlyData = .offered }
            info.sni = hello.serverName
        case (1, .client) where serverHello?.version == 0x0303 && keys == .ready:  // a TLS 1.2 renegotiation
            startRenegotiation(try TLSClientHello(parsing: body))
        case (2, .server) where serverHello != nil && renegotiation != nil:
            try renegotiationServerHello(TLSServerHello(parsing: body), into: &events)
        case (2, .server) where serverHello == nil:  // ServerHello
            let hello = try TLSServerHello(parsing: body)
            guard !hello.isHelloRetryRequest else {
                helloRetried = true
                if earlyData == .offered { earlyData = .rejected }  // RFC 8446 §4.1.4: early data does not survive a retry
                return
            }
            // 0-RTT needs the PSK it was sent under.
            if earlyData == .offered, !(hello.version == 0x0304 && hello.acceptedPSK) { earlyData = .rejected }
            serverHello = hello
            info.version = hello.version == 0x0304 ? "tls1.3" : hello.version == 0x0303 ? "tls1.2" : "tls-0x\(String(hello.version, radix: 16))"
            info.cipherSuite = TLSCipherSuite.name(of: hello.cipherSuite)
            if hello.alpn != nil { info.alpn = hello.alpn }
            // Resumed or not, the keys come by this connection's own client random (its
            // CLIENT_RANDOM line or TLS 1.3 traffic secrets); a resumed TLS 1.2 one without
            // its line falls back on the session cache (resumedMasterSecret).
            info.resumed = hello.resumes(clientSessionID: clientSessionID)
            startKeySchedule(hello, into: &events)
        case (8, .server):  // EncryptedExtensions (TLS 1.3)
            let extensions = try TLSEncryptedExtensions(parsing: body)
            if let alpn = extensions.alpn { info.alpn = alpn }
            if earlyData == .offered { startEarlyData(accepted: extensions.acceptsEarlyData) }
        case (4, .server) where serverHello?.version == 0x0303:  // NewSessionTicket (RFC 5077 §3.3): lifetime, ticket
            var r = TLSByteCursor(body, what: "NewSessionTicket")
            _ = try r.bytes(4)
            let ticket = try r.vector(lengthBytes: 2)
            if let master = tls12MasterSecret, !ticket.isEmpty { secrets.sessionCache?.remember(masterSecret: master, for: .ticket(ticket)) }
        case (5, .client) where earlyData == .accepted:  // EndOfEarlyData: the handshake key follows
            endEarlyData()
        case (20, _) where serverHello?.version == 0x0304 && !halves[direction].handshakeFinished:  // Finished: application keys follow
            halves[direction].handshakeFinished = true
            switchToTrafficSecret(direction, into: &events)
        case (24, _) where serverHello?.version == 0x0304:  // KeyUpdate (RFC 8446 §4.6.3)
            guard let suite, let secret = trafficSecrets[direction] else { return }
            let next = TLSKeySchedule.nextTrafficSecret(suite: suite, secret)
            trafficSecrets[direction] = next
            halves[direction].cipher = TLSRecordCipher(suite: suite, keys: TLSKeySchedule.tls13Keys(suite: suite, trafficSecret: next), tls13: true)
        default:
            break
        }
    }

    private mutating func startKeySchedule(_ hello: TLSServerHello, into events: inout [Event]) {
        guard hello.version == 0x0303 || hello.version == 0x0304 else {
            failConnection("\(info.version ?? "this version") is not decrypted (only TLS 1.2 and 1.3 are)", into: &events)
            return
        }
        guard let suite = TLSCipherSuite.suite(hello.cipherSuite), suite.tls13 == (hello.version == 0x0304) else {
            failConnection("cipher suite \(TLSCipherSuite.name(of: hello.cipherSuite)) is not one the record layer decrypts", into: &events)
            return
        }
        guard clientRandom != nil else {
            failConnection("no ClientHello was seen, so the key log cannot be searched", into: &events)
            return
        }
        self.suite = suite
        keys = .waiting
        resolveKeys(into: &events, final: false)
    }

    /// Looks the client random up; on `final`, a miss becomes the anomaly.
    mutating func resolveKeys(into events: inout [Event], final: Bool) {
        guard keys == .waiting, let suite, let hello = serverHello, let clientRandom else { return }
        let found = secrets.secrets(forClientRandom: clientRandom) ?? [:]
        let random = TLSKeyLog.hexString(clientRandom)
        if suite.tls13 {
            guard let client = found[.clientHandshakeTrafficSecret], let server = found[.serverHandshakeTrafficSecret] else {
                if final {
                    failConnection("no key for client random \(random) (CLIENT_HANDSHAKE_TRAFFIC_SECRET and SERVER_HANDSHAKE_TRAFFIC_SECRET) in the key log", into: &events)
                }
                return
            }
            halves.client.cipher = TLSRecordCipher(suite: suite, keys: TLSKeySchedule.tls13Keys(suite: suite, trafficSecret: client), tls13: true)
            halves.server.cipher = TLSRecordCipher(suite: suite, keys: TLSKeySchedule.tls13Keys(suite: suite, trafficSecret: server), tls13: true)
            trafficSecrets = DirectionPair(client: found[.clientTrafficSecret0], server: found[.serverTrafficSecret0])
        } else {
            guard let master = found[.clientRandom] ?? resumedMasterSecret() else {
                if final { failConnection("no key for client random \(random) (CLIENT_RANDOM) in the key log", into: &events) }
                return
            }
            guard master.count == 48 else {
                failConnection("the CLIENT_RANDOM line for \(random) has a \(master.count)-byte master secret (48 expected)", into: &events)
                return
            }
            let k = TLSKeySchedule.tls12Keys(suite: suite, masterSecret: master, clientRandom: clientRandom, serverRandom: hello.random)
            tls12MasterSecret = master
            if !hello.sessionID.isEmpty { secrets.sessionCache?.remember(masterSecret: master, for: .sessionID(hello.sessionID)) }
            pendingTLS12 = DirectionPair(
                client: TLSRecordCipher(suite: suite, keys: k.client, tls13: false, encryptThenMAC: hello.encryptThenMAC),
                server: TLSRecordCipher(suite: suite, keys: k.server, tls13: false, encryptThenMAC: hello.encryptThenMAC)
            )
        }
        keys = .ready
    }

    /// A resumed TLS 1.2 session's master secret from an earlier connection of
    /// the capture, by the ticket the client offered or the session ID the server echoed.
    private func resumedMasterSecret() -> [UInt8]? {
        // Only an abbreviated handshake reuses a master secret; a ticket the server declined starts a new one.
        guard info.resumed, let cache = secrets.sessionCache else { return nil }
        if !clientTicket.isEmpty, let master = cache.masterSecret(for: .ticket(clientTicket)) { return master }
        return cache.masterSecret(for: .sessionID(clientSessionID))
    }

    /// Finished: this direction's next records use its application traffic
    /// secret. A live client logs CLIENT_TRAFFIC_SECRET_0 only after sending
    /// its Finished, so a secret not in the log yet makes the direction wait
    /// (its records are held) rather than fail; `finish()` reports it if it never comes.
    private mutating func switchToTrafficSecret(_ direction: Direction, into events: inout [Event]) {
        halves[direction].cipher = nil
        halves[direction].awaitsKey = true
        _ = installAwaitedKey(direction)
    }

    /// Installs the waiting direction's new keys when the log has them; false while it does not.
    mutating func installAwaitedKey(_ direction: Direction) -> Bool {
        if renegotiation != nil { return installRenegotiatedKeys(direction) }
        guard let suite else { return false }
        if trafficSecrets[direction] == nil, let clientRandom, let found = secrets.secrets(forClientRandom: clientRandom) {
            trafficSecrets[direction] = found[direction == .client ? .clientTrafficSecret0 : .serverTrafficSecret0]
        }
        guard let secret = trafficSecrets[direction] else { return false }
        halves[direction].cipher = TLSRecordCipher(suite: suite, keys: TLSKeySchedule.tls13Keys(suite: suite, trafficSecret: secret), tls13: true)
        halves[direction].awaitsKey = false
        return true
    }

    mutating func failAwaitedKey(_ direction: Direction, into events: inout [Event]) {
        halves[direction].awaitsKey = false
        if let renegotiation {
            fail(direction, "the key log has no CLIENT_RANDOM for the renegotiation's client random \(TLSKeyLog.hexString(renegotiation.clientRandom))", into: &events)
            return
        }
        let label = direction == .client ? "CLIENT_TRAFFIC_SECRET_0" : "SERVER_TRAFFIC_SECRET_0"
        fail(direction, "the key log has no \(label) for client random \(TLSKeyLog.hexString(clientRandom ?? []))", into: &events)
    }
}
