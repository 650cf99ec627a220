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
    /// chained to the live values instead). `now` is seconds since the epoch.
    public func substitutions(for plan: ReplayPlan, now: Double) -> [String: String] {
        let issued = Set(plan.issued.map(\.value))
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
                for jwt in JWT.findAll(in: text) where !issued.contains(jwt.compact) && result[jwt.compact] == nil {
                    let shift = Int((now - (epoch + at)).rounded())
                    result[jwt.compact] = resign(jwt, shift: shift)
                }
            }
        }
        return result
    }
}
