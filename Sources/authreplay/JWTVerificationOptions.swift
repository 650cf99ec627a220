import ArgumentParser
import TrafficModel

/// `--jwt-secret` and `--jwt-key`, shared by import, capture, record and serve.
/// Both may be given: HS* tokens are checked with the secret, RS*/PS*/ES*/EdDSA
/// ones with the key (each says `unverified` for what it cannot check).
struct JWTVerificationOptions: ParsableArguments {
    @Option(help: "Shared secret to verify HS256/384/512 JWT signatures with (findings then say valid or invalid).")
    var jwtSecret: String?

    @Option(
        help: ArgumentHelp(
            "A PEM file to verify RS*/PS*/ES*/EdDSA JWT signatures with: an RSA, EC (P-256/384/521) or Ed25519 public key, certificate or private key.",
            valueName: "pem"
        )
    )
    var jwtKey: String?

    /// nil when neither option was given. A key file that cannot be loaded is
    /// a usage error (exit 2) in one line naming the file.
    func verifier() async throws -> (any JWTSignatureVerifier)? {
        var verifiers: [any JWTSignatureVerifier] = []
        if let jwtSecret { verifiers.append(HMACJWTVerifier(secret: Array(jwtSecret.utf8))) }
        if let jwtKey {
            do {
                verifiers.append(try await JWTKeyFile.load(jwtKey))
            } catch {
                Terminal.error("--jwt-key \(error)")
                throw CommandFailure(code: Exit.usage)
            }
        }
        switch verifiers.count {
        case 0: return nil
        case 1: return verifiers[0]
        default: return FirstVerdictVerifier(verifiers: verifiers)
        }
    }
}

/// The first verdict other than `unverified`: each verifier only judges the
/// algorithms its key can check.
struct FirstVerdictVerifier: JWTSignatureVerifier {
    let verifiers: [any JWTSignatureVerifier]

    func verify(_ jwt: JWT) -> JWTInfo.Signature {
        for verifier in verifiers {
            let verdict = verifier.verify(jwt)
            if verdict != .unverified { return verdict }
        }
        return .unverified
    }
}
