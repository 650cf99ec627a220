public import TrafficModel

/// Re-signs recorded JWTs with a key the target trusts, times shifted so
/// the token relates to "now" exactly as it related to the moment it was
/// used in the recording (same age, same remaining lifetime).
///
/// The key is an HMAC secret (`--resign-jwt`, `HMACSigningKey`) or any
/// other `JWTSigningKey` (`--resign-jwt-key`: the CLI's PEM adapter). The
/// token keeps its `alg` when the key signs with it (an RSA key re-signs a
/// PS384 token as PS384), else it gets the key's default algorithm.
/// NumericDates are written as integers (jwt-kit writes fractional `exp`;
/// servers that parse `exp` as an integer reject those), which is why the
/// claims are rewritten here and a key only signs bytes.
public struct JWTResigner: Sendable {
    public static let timeClaims: Set<String> = ["iat", "nbf", "exp"]

    public var key: any JWTSigningKey

    public init(key: any JWTSigningKey) {
        self.key = key
    }

    public init(algorithm: HMACAlgorithm, secret: [UInt8]) {
        self.init(key: HMACSigningKey(algorithm: algorithm, secret: secret))
    }

    /// Parses `ALG:SECRET`, e.g. `HS256:my-staging-secret` (the secret is
    /// taken as UTF-8 bytes, everything after the first colon).
    public init(spec: String) throws(ReplayError) {
        guard let colon = spec.firstIndex(of: ":") else {
            throw ReplayError(.invalidKey, "\"--resign-jwt\" takes ALG:SECRET, e.g. HS256:my-staging-secret")
        }
        let name = spec[..<colon].uppercased()
        guard let algorithm = HMACAlgorithm(rawValue: name) else {
            let known = HMACAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")
            throw ReplayError(
                .invalidKey,
                "algorithm \"\(spec[..<colon])\" is not supported by --resign-jwt (supported: \(known); public-key algorithms take --resign-jwt-key PEM)"
            )
        }
        let secret = Array(spec[spec.index(after: colon)...].utf8)
        guard !secret.isEmpty else { throw ReplayError(.invalidKey, "the secret after \"\(name):\" is empty") }
        self.init(algorithm: algorithm, secret: secret)
    }

    /// The `alg` a re-signed `jwt` gets: its own when the key signs with it.
    public func algorithm(for jwt: JWT) -> String {
        key.algorithm(keeping: jwt.algorithm)
    }

    /// `jwt` with every time claim moved by `shift` seconds, `alg` set to
    /// `algorithm(for:)`, signed with the key.
    public func resign(_ jwt: JWT, shift: Int) -> String {
        let algorithm = algorithm(for: jwt)
        var header = jwt.encodedHeader
        if jwt.algorithm != algorithm, case .object(let members) = jwt.header {
            let updated = members.map { $0.0 == "alg" ? ($0.0, JSONValue.string(algorithm)) : $0 }
            header = JWT.encode(.object(updated))
        }
        var claims = jwt.encodedClaims
        if case .object(let members) = jwt.claims, members.contains(where: { Self.timeClaims.contains($0.0) }) {
            let shifted = members.map { member -> (String, JSONValue) in
                guard Self.timeClaims.contains(member.0), let seconds = member.1.doubleValue else { return member }
                return (member.0, .int(Int(seconds.rounded()) + shift))
            }
            claims = JWT.encode(.object(shifted))
        }
        let input = "\(header).\(claims)"
        let signature = key.sign(Array(input.utf8), algorithm: algorithm)
        return "\(input).\(Base64.encode(signature, url: true, padding: false))"
    }

    /// Recorded JWT → re-signed JWT, for every JWT the planned sessions
    /// present that was not issued within the recordings (issued ones are
    /// chained to the live values instead). A forged token stays forged: one
    /// recorded with a signature a key found invalid, and an unsecured one
    /// (`alg` none), are sent as recorded. `now` is seconds since the epoch.
    public func substitutions(for plan: ReplayPlan, now: Double) -> [String: String] {
        var kept = Set(plan.issued.map(\.value))
        for session in plan.sessions { kept.formUnion(Self.forged(in: session.session)) }
        var result: [String: String] = [:]
        for session in plan.sessions {
            let epoch = session.capturedAt.seconds
            var uses: [(String, Double)] = []
            for exchange in session.session.exchanges {
                let request = exchange.request
                uses.append((request.target, request.at))
                uses += request.headers.map { ($0.value, request.at) }
                if let body = request.body?.text { uses.append((body, request.at)) }
            }
            for message in session.session.websocket?.messages ?? [] where message.direction == .client {
                if let text = message.payload.text { uses.append((text, message.at)) }
            }
            for (text, at) in uses {
                for jwt in JWT.findAll(in: text) where !kept.contains(jwt.compact) && result[jwt.compact] == nil && jwt.algorithm?.lowercased() != "none" {
                    let shift = Int((now - (epoch + at)).rounded())
                    result[jwt.compact] = resign(jwt, shift: shift)
                }
            }
        }
        return result
    }
}

extension JWTResigner {
    /// The presented tokens whose recorded signature a key called invalid
    /// (before redaction, or in an unredacted recording).
    static func forged(in session: Session, locator: CredentialLocator = .default) -> Set<String> {
        var found = Set<String>()
        for finding in session.auth where finding.role == .presented {
            guard let jwt = finding.jwt, jwt.signature == .invalid || jwt.verifiedBeforeRedaction == .invalid,
                  session.exchanges.indices.contains(finding.exchange) else { continue }
            let request = session.exchanges[finding.exchange].request
            for credential in locator.presented(in: request) where credential.location == finding.location {
                found.insert(credential.value)
            }
        }
        return found
    }
}

/// An HMAC secret for `--resign-jwt ALG:SECRET`: signs with exactly the
/// algorithm given (a recorded HS512 token re-signed with `HS256:…` becomes
/// HS256, as the target expects).
public struct HMACSigningKey: JWTSigningKey {
    public var algorithm: HMACAlgorithm
    public var secret: [UInt8]

    public init(algorithm: HMACAlgorithm, secret: [UInt8]) {
        self.algorithm = algorithm
        self.secret = secret
    }

    public var defaultAlgorithm: String { algorithm.rawValue }

    public func signs(_ algorithm: String) -> Bool { algorithm == self.algorithm.rawValue }

    public func sign(_ input: [UInt8], algorithm: String) -> [UInt8] {
        self.algorithm.authenticationCode(input, key: secret)
    }
}
