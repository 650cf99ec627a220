public import TrafficModel

extension JWTResigner {
    /// Parses `--resign-jwt ALG:SECRET`, e.g. `HS256:my-staging-secret`.
    public init(spec: String) throws(ReplayError) {
        do {
            self.init(key: try HMACSigningKey(spec: spec, option: "--resign-jwt", keyOption: "--resign-jwt-key"))
        } catch {
            throw ReplayError(.invalidKey, error.reason)
        }
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
