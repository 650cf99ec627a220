import Crypto
import _CryptoExtras

/// Opens the protected records of one direction (RFC 8446 §5.2, RFC 5246
/// §6.2.3) with swift-crypto's AES-GCM and ChaChaPoly and _CryptoExtras'
/// AES-CBC; the only code here is what TLS wraps around them: nonces,
/// additional data, sequence numbers, padding and MACs.
struct TLSRecordCipher: Sendable {
    struct Keys: Sendable {
        var key: [UInt8]
        var iv: [UInt8]
        var macKey: [UInt8]
    }

    enum Failure: Error, Equatable {
        case authentication
        case tooShort
        case badPadding
    }

    let suite: TLSCipherSuite
    let tls13: Bool
    let encryptThenMAC: Bool
    private let keys: Keys
    private let symmetricKey: SymmetricKey
    /// The record sequence number (RFC 5246 §6.1, RFC 8446 §5.3).
    private(set) var sequence: UInt64 = 0

    init(suite: TLSCipherSuite, keys: Keys, tls13: Bool, encryptThenMAC: Bool = false) {
        self.suite = suite
        self.keys = keys
        self.tls13 = tls13
        self.encryptThenMAC = encryptThenMAC
        self.symmetricKey = SymmetricKey(data: keys.key)
    }

    /// The plaintext and its real content type (TLS 1.3 hides it inside, RFC 8446 §5.4).
    mutating func open(_ record: TLSRecord) throws(Failure) -> (type: UInt8, plaintext: [UInt8]) {
        defer { sequence &+= 1 }
        if tls13 { return try openTLS13(record) }
        switch suite.cipher {
        case .aesGCM, .chaCha20Poly1305: return (record.contentType, try openTLS12AEAD(record))
        case .aesCBC(_, let mac): return (record.contentType, try openCBC(record, mac: mac))
        }
    }

    private var sequenceBytes: [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: sequence >> (56 - 8 * UInt64($0))) } }

    /// iv XOR the sequence number, left-padded to the IV's length (RFC 8446 §5.3, RFC 7905 §2).
    private var xorNonce: [UInt8] {
        var nonce = keys.iv
        let seq = sequenceBytes
        for i in 0..<8 { nonce[nonce.count - 8 + i] ^= seq[i] }
        return nonce
    }

    private func aeadOpen(nonce: [UInt8], ciphertext: ArraySlice<UInt8>, tag: ArraySlice<UInt8>, aad: [UInt8]) throws(Failure) -> [UInt8] {
        do {
            switch suite.cipher {
            case .aesGCM:
                let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: nonce), ciphertext: ciphertext, tag: tag)
                return Array(try AES.GCM.open(box, using: symmetricKey, authenticating: aad))
            case .chaCha20Poly1305:
                let box = try ChaChaPoly.SealedBox(nonce: ChaChaPoly.Nonce(data: nonce), ciphertext: ciphertext, tag: tag)
                return Array(try ChaChaPoly.open(box, using: symmetricKey, authenticating: aad))
            case .aesCBC:
                throw Failure.authentication
            }
        } catch {
            throw .authentication
        }
    }

    private func openTLS13(_ record: TLSRecord) throws(Failure) -> (type: UInt8, plaintext: [UInt8]) {
        let fragment = record.fragment
        guard fragment.count >= 17 else { throw .tooShort }
        var inner = try aeadOpen(nonce: xorNonce, ciphertext: fragment[..<(fragment.count - 16)], tag: fragment[(fragment.count - 16)...], aad: record.header)
        // TLSInnerPlaintext: content, the real type, then zero padding.
        while let last = inner.last, last == 0 { inner.removeLast() }
        guard let type = inner.popLast() else { throw .badPadding }
        return (type, inner)
    }

    private func additionalData(_ record: TLSRecord, length: Int) -> [UInt8] {
        sequenceBytes + [record.contentType, UInt8(record.version >> 8), UInt8(record.version & 0xFF), UInt8(length >> 8), UInt8(length & 0xFF)]
    }

    private func openTLS12AEAD(_ record: TLSRecord) throws(Failure) -> [UInt8] {
        let fragment = record.fragment
        switch suite.cipher {
        case .aesGCM:
            // GCMNonce = salt (the 4-byte IV) + the record's 8-byte explicit nonce (RFC 5288 §3).
            guard fragment.count >= 8 + 16 else { throw .tooShort }
            let length = fragment.count - 24
            return try aeadOpen(
                nonce: keys.iv + fragment[0..<8], ciphertext: fragment[8..<(8 + length)], tag: fragment[(8 + length)...],
                aad: additionalData(record, length: length)
            )
        default:
            guard fragment.count >= 16 else { throw .tooShort }
            let length = fragment.count - 16
            return try aeadOpen(nonce: xorNonce, ciphertext: fragment[..<length], tag: fragment[length...], aad: additionalData(record, length: length))
        }
    }

    /// TLS 1.1+ CBC: IV, then the encrypted content + MAC + padding (RFC 5246
    /// §6.2.3.2), or with encrypt-then-MAC the MAC after the ciphertext (RFC 7366).
    private func openCBC(_ record: TLSRecord, mac: TLSCipherSuite.Hash) throws(Failure) -> [UInt8] {
        let fragment = record.fragment
        if encryptThenMAC {
            guard fragment.count >= 32 + mac.length else { throw .tooShort }
            let body = Array(fragment[..<(fragment.count - mac.length)])
            let expected = TLSKeySchedule.hmac(mac, key: keys.macKey, additionalData(record, length: body.count), body)
            guard expected[...] == fragment[(fragment.count - mac.length)...] else { throw .authentication }
            return try decryptCBC(body).unpadded()
        }
        guard fragment.count >= 32, fragment.count % 16 == 0 else { throw .tooShort }
        let padded = try decryptCBC(Array(fragment))
        let content = try padded.unpadded()
        guard content.count >= mac.length else { throw .badPadding }
        let plaintext = Array(content[..<(content.count - mac.length)])
        let expected = TLSKeySchedule.hmac(mac, key: keys.macKey, additionalData(record, length: plaintext.count), plaintext)
        guard expected[...] == content[(content.count - mac.length)...] else { throw .authentication }
        return plaintext
    }

    /// Decrypts IV + ciphertext, padding left in place (TLS pads its own way).
    private func decryptCBC(_ ivAndCiphertext: [UInt8]) throws(Failure) -> [UInt8] {
        guard ivAndCiphertext.count >= 32, ivAndCiphertext.count % 16 == 0 else { throw .tooShort }
        do {
            let iv = try AES._CBC.IV(ivBytes: ivAndCiphertext[..<16])
            return Array(try AES._CBC.decrypt(ivAndCiphertext[16...], using: symmetricKey, iv: iv, noPadding: true))
        } catch {
            throw .authentication
        }
    }
}

extension Array where Element == UInt8 {
    /// Strips TLS's CBC padding: `n` bytes of value `n`, then `n` itself (RFC 5246 §6.2.3.2).
    fileprivate func unpadded() throws(TLSRecordCipher.Failure) -> [UInt8] {
        guard let n = last, Int(n) + 1 <= count else { throw .badPadding }
        let start = count - Int(n) - 1
        guard self[start...].allSatisfy({ $0 == n }) else { throw .badPadding }
        return Array(self[..<start])
    }
}
