import ArgumentParser
import ConnectionGuards
import MockStaging
import TrafficModel

/// `serve --sign-key / --sign-secret / --issuer` and `--tls-cert / --tls-key`:
/// a mock that clients verifying tokens and speaking https accept.
struct SigningOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "A PEM private key (RSA, EC P-256/384/521 or Ed25519) to re-sign every JWT the mock hands out with; discovery and JWKS documents then publish its public key.",
            valueName: "pem"
        )
    )
    var signKey: String?

    @Option(help: ArgumentHelp("An HMAC secret to re-sign every JWT the mock hands out with (HS256/384/512; use 32+ bytes).", valueName: "ALG:SECRET"))
    var signSecret: String?

    @Option(help: ArgumentHelp("With --sign-key/--sign-secret: the issuer URL the discovery document and the tokens' iss name instead of the recorded one.", valueName: "url"))
    var issuer: String?

    @Option(help: ArgumentHelp("A PEM certificate chain: serve https and wss (needs --tls-key).", valueName: "pem"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The PEM private key for --tls-cert.", valueName: "pem"))
    var tlsKey: String?

    func validate() throws {
        if signKey != nil, signSecret != nil { throw ValidationError("give --sign-key or --sign-secret, not both") }
        if issuer != nil, signKey == nil, signSecret == nil { throw ValidationError("--issuer needs --sign-key or --sign-secret") }
        if let issuer, !(issuer.hasPrefix("https://") || issuer.hasPrefix("http://")) {
            throw ValidationError("--issuer must be an http(s) URL, not \(issuer)")
        }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if let signSecret {
            do {
                _ = try HMACSigningKey(spec: signSecret, option: "--sign-secret", keyOption: "--sign-key")
            } catch {
                throw ValidationError(error.reason)
            }
        }
    }

    var tls: ServerTLSFiles? {
        guard let tlsCert, let tlsKey else { return nil }
        return ServerTLSFiles(certificateFile: tlsCert, keyFile: tlsKey)
    }

    /// nil without --sign-key/--sign-secret. A key file that cannot be
    /// loaded is a usage error (exit 2) in one line naming the file.
    func signing() async throws -> TestKeySigning? {
        if let signSecret {
            return TestKeySigning(hmac: try HMACSigningKey(spec: signSecret, option: "--sign-secret", keyOption: "--sign-key"), issuer: issuer)
        }
        guard let signKey else { return nil }
        do {
            let key = try await JWTKeyFile.load(signKey, signing: true)
            return TestKeySigning(key: key, verifier: key, issuer: issuer)
        } catch {
            Terminal.error("--sign-key \(error)")
            throw CommandFailure(code: Exit.usage)
        }
    }
}
