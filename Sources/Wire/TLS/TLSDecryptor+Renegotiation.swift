import TrafficModel

/// TLS 1.2 renegotiation (RFC 5246 §7.4.1.1, RFC 5746): a new handshake
/// under the connection's keys, as servers start one to ask for a client
/// certificate on some paths. Its ClientHello has a random of its own, so the
/// key log has a second CLIENT_RANDOM line; each direction keeps its keys up
/// to its ChangeCipherSpec, then takes the new ones (waiting for the line
/// when a live client has not written it yet).
extension TLSDecryptor {
    struct Renegotiation: Sendable {
        var clientRandom: [UInt8]
        var serverHello: TLSServerHello?
        /// The new keys per direction, once the log gave the master secret.
        var ciphers = DirectionPair<TLSRecordCipher?>(repeating: nil)
        /// Directions that switched to the new keys.
        var switched = DirectionPair(repeating: false)
    }

    mutating func startRenegotiation(_ hello: TLSClientHello) {
        renegotiation = Renegotiation(clientRandom: hello.random)
    }

    mutating func renegotiationServerHello(_ hello: TLSServerHello, into events: inout [Event]) throws(WireError) {
        guard var renegotiation, renegotiation.serverHello == nil else { return }
        guard hello.version == 0x0303, let suite = TLSCipherSuite.suite(hello.cipherSuite), !suite.tls13 else {
            failConnection("a renegotiation chose \(TLSCipherSuite.name(of: hello.cipherSuite)) (version 0x\(String(hello.version, radix: 16))), which the record layer does not decrypt", into: &events)
            return
        }
        renegotiation.serverHello = hello
        self.renegotiation = renegotiation
        info.cipherSuite = TLSCipherSuite.name(of: hello.cipherSuite)
        resolveRenegotiatedKeys()
    }

    /// Looks the renegotiation's client random up; the ciphers wait for the ChangeCipherSpecs.
    private mutating func resolveRenegotiatedKeys() {
        guard var renegotiation, renegotiation.ciphers.client == nil, let hello = renegotiation.serverHello,
              let suite = TLSCipherSuite.suite(hello.cipherSuite),
              let master = secrets.secrets(forClientRandom: renegotiation.clientRandom)?[.clientRandom], master.count == 48 else { return }
        let k = TLSKeySchedule.tls12Keys(suite: suite, masterSecret: master, clientRandom: renegotiation.clientRandom, serverRandom: hello.random)
        renegotiation.ciphers = DirectionPair(
            client: TLSRecordCipher(suite: suite, keys: k.client, tls13: false, encryptThenMAC: hello.encryptThenMAC),
            server: TLSRecordCipher(suite: suite, keys: k.server, tls13: false, encryptThenMAC: hello.encryptThenMAC)
        )
        self.renegotiation = renegotiation
        tls12MasterSecret = master
    }

    /// This direction's ChangeCipherSpec: the new keys from here on, or its records wait for them.
    mutating func awaitRenegotiatedKeys(_ direction: Direction) {
        halves[direction].cipher = nil
        halves[direction].awaitsKey = true
        _ = installRenegotiatedKeys(direction)
    }

    mutating func installRenegotiatedKeys(_ direction: Direction) -> Bool {
        resolveRenegotiatedKeys()
        guard let cipher = renegotiation?.ciphers[direction] else { return false }
        halves[direction].cipher = cipher
        halves[direction].awaitsKey = false
        renegotiationSwitched(direction)
        return true
    }

    /// Both directions on the new keys: the renegotiation is over.
    mutating func renegotiationSwitched(_ direction: Direction) {
        renegotiation?.switched[direction] = true
        if renegotiation?.switched.client == true, renegotiation?.switched.server == true { renegotiation = nil }
    }
}
