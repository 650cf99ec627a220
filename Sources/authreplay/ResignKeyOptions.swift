import ArgumentParser
import Replay
import TrafficModel

/// `--resign-jwt ALG:SECRET` or `--resign-jwt-key PEM`: the key a target
/// trusts, to sign tokens for it.
struct ResignKeyOptions: ParsableArguments {
    @Option(name: .customLong("resign-jwt"), help: "ALG:SECRET (HS256, HS384, HS512): the HMAC key the target trusts.")
    var resignJWT: String?

    @Option(
        name: .customLong("resign-jwt-key"),
        help: ArgumentHelp("A PEM private key (RSA, EC P-256/384/521, Ed25519) the target trusts.", valueName: "pem")
    )
    var resignJWTKey: String?

    func validate() throws {
        if resignJWT != nil, resignJWTKey != nil {
            throw ValidationError("--resign-jwt and --resign-jwt-key exclude each other: sign with one key")
        }
        do {
            if let resignJWT { _ = try JWTResigner(spec: resignJWT) }
        } catch {
            throw ValidationError("\(error)")
        }
    }

    /// The key, or nil when neither option was given.
    func key() async throws -> (any JWTSigningKey)? {
        if let resignJWT { return try JWTResigner(spec: resignJWT).key }
        guard let resignJWTKey else { return nil }
        do {
            return try await JWTKeyFile.load(resignJWTKey, signing: true)
        } catch {
            Terminal.error("--resign-jwt-key \(error)")
            throw CommandFailure(code: Exit.usage)
        }
    }
}
