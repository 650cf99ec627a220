import Foundation
import JWTKit
import TrafficModel

/// A PEM key file loaded with jwt-kit, for `--jwt-key` (verifying) and
/// `--resign-jwt-key` (signing): the one place that touches jwt-kit. It is
/// I/O-edge glue, so it lives in the CLI and the libraries only see the
/// small protocols of TrafficModel (`JWTSignatureVerifier`, `JWTSigningKey`).
///
/// Accepted: RSA (RS256/384/512, PS256/384/512), EC P-256/P-384/P-521
/// (ES256/ES384/ES512, one per curve) and Ed25519 (EdDSA), each as a public
/// key, an X.509 certificate (RSA and EC) or a private key (PKCS#8, or
/// PKCS#1/SEC1). A file may hold several PEM blocks; the first key or
/// certificate is used (an `EC PARAMETERS` block is skipped).
///
/// Only the signature is checked, never the claims: a recorded token stays
/// valid after it expired, which is what a finding needs to say. HS* is not
/// done here (TrafficModel's `HMACAlgorithm` over swift-crypto; jwt-kit traps on short HMAC keys).
struct JWTKeyFile: JWTSignatureVerifier, JWTSigningKey {
    let path: String
    /// "RSA public key", "EC P-256 private key", "RSA certificate"…
    let summary: String
    let isPrivate: Bool
    let defaultAlgorithm: String
    /// The public half as a JWK (for the JWKS `serve --sign-key` publishes).
    let publicJWK: JSONValue?
    /// jwt-kit's algorithm per `alg` name this key handles.
    private let algorithms: [String: any JWTAlgorithm]

    func verify(_ jwt: JWT) -> JWTInfo.Signature {
        guard let name = jwt.algorithm, let algorithm = algorithms[name] else { return .unverified }
        guard let signature = Base64.decode(jwt.encodedSignature) else { return .invalid }
        // jwt-kit throws on a signature of the wrong shape (an ECDSA one of the wrong length): invalid too.
        let ok = (try? algorithm.verify(signature, signs: Array(jwt.signingInput.utf8))) ?? false
        return ok ? .valid : .invalid
    }

    func signs(_ algorithm: String) -> Bool { isPrivate && algorithms[algorithm] != nil }

    func sign(_ input: [UInt8], algorithm: String) -> [UInt8] {
        // `load(signing:)` signed and verified a probe with every algorithm, and
        // RSA/ECDSA/EdDSA signing with a loaded key has no later failure; should
        // it fail anyway, the empty signature makes the target reject the token
        // and the replay fails visibly.
        (try? algorithms[algorithm]?.sign(input)) ?? []
    }

    /// Reads and parses `path`. `signing` demands a private key.
    static func load(_ path: String, signing: Bool = false) async throws(JWTKeyFileError) -> JWTKeyFile {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw JWTKeyFileError(path: path, reason: exists ? "cannot be read" : "no such file")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let block = PEMBlock.first(in: text) else {
            throw JWTKeyFileError(path: path, reason: "holds no PEM block (-----BEGIN …-----)")
        }
        guard let key = ParsedKey.parse(block) else {
            throw JWTKeyFileError(
                path: path,
                reason: "\"\(block.label)\" is not a key jwt-kit can load (RSA of at least 2048 bits, EC P-256/P-384/P-521 or Ed25519: public key, certificate or private key)"
            )
        }
        if signing, !key.isPrivate {
            throw JWTKeyFileError(path: path, reason: "holds an \(key.summary); re-signing needs the private key")
        }
        var algorithms: [String: any JWTAlgorithm] = [:]
        do {
            for algorithm in try await key.algorithms() { algorithms[algorithm.name] = algorithm }
        } catch {
            throw JWTKeyFileError(path: path, reason: "\(key.summary) rejected by jwt-kit (\(Self.reason(error)))")
        }
        let loaded = JWTKeyFile(
            path: path, summary: key.summary, isPrivate: key.isPrivate, defaultAlgorithm: key.defaultAlgorithm,
            publicJWK: key.publicJWK, algorithms: algorithms
        )
        if signing {
            let probe = Array("authreplay.probe".utf8)
            for (name, algorithm) in algorithms where (try? algorithm.verify(loaded.sign(probe, algorithm: name), signs: probe)) != true {
                throw JWTKeyFileError(path: path, reason: "\(key.summary) cannot sign \(name)")
            }
        }
        return loaded
    }

    private static func reason(_ error: any Error) -> String {
        let text = (error as? LocalizedError)?.errorDescription ?? "\(error)"
        return text.split(whereSeparator: \.isNewline).first.map(String.init) ?? text
    }
}

/// Why a key file was refused; one line, naming the file.
struct JWTKeyFileError: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "\(path): \(reason)" }
}

/// One `-----BEGIN LABEL----- … -----END LABEL-----` block, as text.
struct PEMBlock {
    let label: String
    let text: String

    /// The first block that is not `EC PARAMETERS` (which `openssl ecparam -genkey` writes before the key).
    static func first(in text: String) -> PEMBlock? {
        var rest = text[...]
        while let begin = rest.range(of: "-----BEGIN ") {
            guard let labelEnd = rest[begin.upperBound...].range(of: "-----") else { return nil }
            let label = String(rest[begin.upperBound..<labelEnd.lowerBound])
            guard let end = rest[labelEnd.upperBound...].range(of: "-----END \(label)-----") else { return nil }
            if label != "EC PARAMETERS" { return PEMBlock(label: label, text: String(rest[begin.lowerBound..<end.upperBound])) }
            rest = rest[end.upperBound...]
        }
        return nil
    }
}

/// A key jwt-kit parsed, before its algorithms are made.
private enum ParsedKey {
    case rsa(any RSAKey, isPrivate: Bool, source: String)
    case p256(any ECDSAKey, isPrivate: Bool, source: String)
    case p384(any ECDSAKey, isPrivate: Bool, source: String)
    case p521(any ECDSAKey, isPrivate: Bool, source: String)
    case ed25519(any EdDSAKey, isPrivate: Bool)

    /// Tries what the label allows, in order; jwt-kit (swift-crypto) checks the DER inside.
    static func parse(_ block: PEMBlock) -> ParsedKey? {
        let pem = block.text
        switch block.label {
        case "CERTIFICATE":
            if let k = try? Insecure.RSA.PublicKey(certificatePEM: pem) { return .rsa(k, isPrivate: false, source: "certificate") }
            if let k = try? ES256PublicKey(certificate: pem) { return .p256(k, isPrivate: false, source: "certificate") }
            if let k = try? ES384PublicKey(certificate: pem) { return .p384(k, isPrivate: false, source: "certificate") }
            if let k = try? ES512PublicKey(certificate: pem) { return .p521(k, isPrivate: false, source: "certificate") }
            return nil
        case "PUBLIC KEY", "RSA PUBLIC KEY":
            if let k = try? Insecure.RSA.PublicKey(pem: pem) { return .rsa(k, isPrivate: false, source: "public key") }
            if let k = try? ES256PublicKey(pem: pem) { return .p256(k, isPrivate: false, source: "public key") }
            if let k = try? ES384PublicKey(pem: pem) { return .p384(k, isPrivate: false, source: "public key") }
            if let k = try? ES512PublicKey(pem: pem) { return .p521(k, isPrivate: false, source: "public key") }
            if let k = try? EdDSA.PublicKey(pem: pem) { return .ed25519(k, isPrivate: false) }
            return nil
        case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
            if let k = try? Insecure.RSA.PrivateKey(pem: pem) { return .rsa(k, isPrivate: true, source: "private key") }
            if let k = try? ES256PrivateKey(pem: pem) { return .p256(k, isPrivate: true, source: "private key") }
            if let k = try? ES384PrivateKey(pem: pem) { return .p384(k, isPrivate: true, source: "private key") }
            if let k = try? ES512PrivateKey(pem: pem) { return .p521(k, isPrivate: true, source: "private key") }
            if let k = try? EdDSA.PrivateKey(pem: pem) { return .ed25519(k, isPrivate: true) }
            return nil
        default:
            return nil
        }
    }

    var isPrivate: Bool {
        switch self {
        case .rsa(_, let p, _), .p256(_, let p, _), .p384(_, let p, _), .p521(_, let p, _), .ed25519(_, let p): p
        }
    }

    var summary: String {
        switch self {
        case .rsa(_, _, let source): "RSA \(source)"
        case .p256(_, _, let source): "EC P-256 \(source)"
        case .p384(_, _, let source): "EC P-384 \(source)"
        case .p521(_, _, let source): "EC P-521 \(source)"
        case .ed25519(_, let isPrivate): "Ed25519 \(isPrivate ? "private" : "public") key"
        }
    }

    /// The algorithm a token gets when its own is not one this key signs with.
    var defaultAlgorithm: String {
        switch self {
        case .rsa: "RS256"
        case .p256: "ES256"
        case .p384: "ES384"
        case .p521: "ES512"
        case .ed25519: "EdDSA"
        }
    }

    /// The public key's JWK members (RFC 7518 §6.2-6.3, RFC 8037 §2), from
    /// jwt-kit's key primitives; `alg` is the default algorithm, `use` sig.
    var publicJWK: JSONValue? {
        func b64(_ data: Data) -> String { Base64.encode(Array(data), url: true, padding: false) }
        var members: [(String, JSONValue)]
        switch self {
        case .rsa(let key, _, _):
            let publicKey = (key as? Insecure.RSA.PrivateKey)?.publicKey ?? (key as? Insecure.RSA.PublicKey)
            guard let primitives = try? publicKey?.getKeyPrimitives() else { return nil }
            members = [("kty", .string("RSA")), ("n", .string(b64(primitives.modulus))), ("e", .string(b64(primitives.publicExponent)))]
        case .p256(let key, _, _), .p384(let key, _, _), .p521(let key, _, _):
            guard let point = key.parameters else { return nil }
            let curve = switch self { case .p256: "P-256"; case .p384: "P-384"; default: "P-521" }
            members = [("kty", .string("EC")), ("crv", .string(curve)), ("x", .string(point.x)), ("y", .string(point.y))]
        case .ed25519(let key, _):
            let raw = (key as? EdDSA.PrivateKey)?.publicKey.rawRepresentation ?? (key as? EdDSA.PublicKey)?.rawRepresentation
            guard let raw else { return nil }
            members = [("kty", .string("OKP")), ("crv", .string("Ed25519")), ("x", .string(b64(raw)))]
        }
        members += [("use", .string("sig")), ("alg", .string(defaultAlgorithm))]
        return .object(members)
    }

    /// jwt-kit's algorithms for this key. Its key collection is an actor,
    /// so each is made once here and then used synchronously.
    func algorithms() async throws -> [any JWTAlgorithm] {
        func made(_ add: (JWTKeyCollection) async -> Void) async throws -> any JWTAlgorithm {
            let collection = JWTKeyCollection()
            await add(collection)
            return try await collection.getKey()
        }
        switch self {
        case .rsa(let key, _, _):
            var result: [any JWTAlgorithm] = []
            for digest in [DigestAlgorithm.sha256, .sha384, .sha512] {
                result.append(try await made { await $0.add(rsa: key, digestAlgorithm: digest) })
                result.append(try await made { await $0.add(pss: key, digestAlgorithm: digest) })
            }
            return result
        case .p256(let key, _, _), .p384(let key, _, _), .p521(let key, _, _):
            return [try await made { await $0.add(ecdsa: key) }]
        case .ed25519(let key, _):
            return [try await made { await $0.add(eddsa: key) }]
        }
    }
}
