import Crypto

/// The two key derivations the record layer needs, over swift-crypto's HMAC
/// and HKDF: TLS 1.2's PRF (RFC 5246 §5) to expand a master secret into the
/// key block, and TLS 1.3's HKDF-Expand-Label (RFC 8446 §7.1) to turn a
/// traffic secret into a key and IV.
enum TLSKeySchedule {
    static func hmac(_ hash: TLSCipherSuite.Hash, key: [UInt8], _ parts: [UInt8]...) -> [UInt8] {
        let key = SymmetricKey(data: key)
        func code<H: HashFunction>(_: H.Type) -> [UInt8] {
            var mac = HMAC<H>(key: key)
            for part in parts { mac.update(data: part) }
            return Array(mac.finalize())
        }
        switch hash {
        case .sha1: return code(Insecure.SHA1.self)
        case .sha256: return code(SHA256.self)
        case .sha384: return code(SHA384.self)
        }
    }

    /// PRF(secret, label, seed) = P_hash(secret, label + seed) (RFC 5246 §5).
    static func prf(_ hash: TLSCipherSuite.Hash, secret: [UInt8], label: String, seed: [UInt8], count: Int) -> [UInt8] {
        let labelSeed = Array(label.utf8) + seed
        var output: [UInt8] = []
        var a = labelSeed  // A(0)
        while output.count < count {
            a = hmac(hash, key: secret, a)
            output += hmac(hash, key: secret, a, labelSeed)
        }
        return Array(output.prefix(count))
    }

    /// HKDF-Expand-Label(Secret, Label, Context, Length) (RFC 8446 §7.1).
    static func expandLabel(_ hash: TLSCipherSuite.Hash, secret: [UInt8], label: String, context: [UInt8] = [], length: Int) -> [UInt8] {
        let fullLabel = Array("tls13 \(label)".utf8)
        let info = [UInt8(length >> 8), UInt8(length & 0xFF), UInt8(fullLabel.count)] + fullLabel + [UInt8(context.count)] + context
        let prk = SymmetricKey(data: secret)
        let key: SymmetricKey
        switch hash {
        case .sha1: key = HKDF<Insecure.SHA1>.expand(pseudoRandomKey: prk, info: info, outputByteCount: length)
        case .sha256: key = HKDF<SHA256>.expand(pseudoRandomKey: prk, info: info, outputByteCount: length)
        case .sha384: key = HKDF<SHA384>.expand(pseudoRandomKey: prk, info: info, outputByteCount: length)
        }
        return key.withUnsafeBytes { Array($0) }
    }

    /// One direction's record keys under TLS 1.3 (RFC 8446 §7.3).
    static func tls13Keys(suite: TLSCipherSuite, trafficSecret: [UInt8]) -> TLSRecordCipher.Keys {
        let keyLength: Int
        switch suite.cipher {
        case .aesGCM(let length): keyLength = length
        case .chaCha20Poly1305: keyLength = 32
        case .aesCBC(let length, _): keyLength = length  // never a TLS 1.3 suite
        }
        return TLSRecordCipher.Keys(
            key: expandLabel(suite.prf, secret: trafficSecret, label: "key", length: keyLength),
            iv: expandLabel(suite.prf, secret: trafficSecret, label: "iv", length: 12), macKey: []
        )
    }

    /// application_traffic_secret_N+1 after a KeyUpdate (RFC 8446 §7.2).
    static func nextTrafficSecret(suite: TLSCipherSuite, _ secret: [UInt8]) -> [UInt8] {
        expandLabel(suite.prf, secret: secret, label: "traffic upd", length: suite.prf.length)
    }

    /// Both directions' keys from a TLS 1.2 master secret: the key block is
    /// client MAC key, server MAC key, client key, server key, client IV,
    /// server IV (RFC 5246 §6.3). AEAD suites have no MAC key and a 4-byte
    /// (GCM, RFC 5288 §3) or 12-byte (ChaCha20, RFC 7905 §2) fixed IV; CBC
    /// suites send their IV in each record (TLS 1.1 and later).
    static func tls12Keys(suite: TLSCipherSuite, masterSecret: [UInt8], clientRandom: [UInt8], serverRandom: [UInt8]) -> DirectionKeys {
        let (macLength, keyLength, ivLength): (Int, Int, Int)
        switch suite.cipher {
        case .aesGCM(let length): (macLength, keyLength, ivLength) = (0, length, 4)
        case .chaCha20Poly1305: (macLength, keyLength, ivLength) = (0, 32, 12)
        case .aesCBC(let length, let mac): (macLength, keyLength, ivLength) = (mac.length, length, 0)
        }
        let block = prf(suite.prf, secret: masterSecret, label: "key expansion", seed: serverRandom + clientRandom, count: 2 * (macLength + keyLength + ivLength))
        var offset = 0
        func take(_ count: Int) -> [UInt8] {
            defer { offset += count }
            return Array(block[offset..<offset + count])
        }
        let clientMAC = take(macLength), serverMAC = take(macLength)
        let clientKey = take(keyLength), serverKey = take(keyLength)
        let clientIV = take(ivLength), serverIV = take(ivLength)
        return DirectionKeys(
            client: TLSRecordCipher.Keys(key: clientKey, iv: clientIV, macKey: clientMAC),
            server: TLSRecordCipher.Keys(key: serverKey, iv: serverIV, macKey: serverMAC)
        )
    }

    struct DirectionKeys {
        var client: TLSRecordCipher.Keys
        var server: TLSRecordCipher.Keys
    }
}
