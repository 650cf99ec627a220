public import TrafficModel

/// Keeps the time relations a recorded outcome depended on.
///
/// A request that presented a token after its `exp` got the answer for an
/// expired token (a 401, a refused upgrade, then a refresh). On replay the
/// chained token is the target's fresh one, so sending at once would get the
/// happy answer instead. This says how long to wait so that the live token
/// is expired at use by at least as much as the recorded one was. Pure: the
/// recording's findings, the token chain and the time in, a wait out.
public enum TimeRelation {
    public struct Wait: Hashable, Sendable {
        /// Seconds from `now` until the request relates to its token as recorded.
        public var seconds: Double
        /// What the wait keeps, for the session's notes.
        public var reason: String
    }

    /// The wait before sending `request` (exchange `exchange` of `session`),
    /// nil when nothing recorded depended on time.
    public static func wait(
        before request: HTTPRequest, exchange: Int, of session: Session, chain: TokenChain, now: Double,
        locator: CredentialLocator = .default
    ) -> Wait? {
        // Most steps presented no issued token after its expiry: nothing to locate then.
        let expiredUses = session.auth.filter {
            $0.exchange == exchange && $0.role == .presented && $0.issuedBy != nil && ($0.jwt?.expiresIn ?? 0) < 0
        }
        guard !expiredUses.isEmpty else { return nil }
        var longest: Wait?
        let presented = locator.presented(in: request)
        for finding in expiredUses {
            guard let expiresIn = finding.jwt?.expiresIn,
                  let recorded = presented.first(where: { $0.location == finding.location })?.value,
                  let live = JWT(chain.apply(recorded)), let exp = live.claims["exp"]?.doubleValue
            else { continue }
            // Servers compare whole seconds, some with > and some with >=: a second's margin at least.
            let late = max(-expiresIn, 1)
            let seconds = exp + late - now
            guard seconds > 0 else { continue }
            let reason = "waited \(formatFixed(seconds, decimals: 1)) s so the live token at \(finding.location) was expired by "
                + "\(formatFixed(late, decimals: 1)) s at use, as the recorded one was (\(formatFixed(-expiresIn, decimals: 1)) s)"
            if seconds > (longest?.seconds ?? 0) { longest = Wait(seconds: seconds, reason: reason) }
        }
        return longest
    }
}

/// How recorded gaps between a session's steps are kept on replay.
public enum ReplayPace: Hashable, Sendable {
    /// No gaps (time relations that decided an outcome are still kept).
    case fast
    /// Each gap as recorded, times the factor (1: as recorded).
    case scaled(Double)

    /// `fast`, `recorded` or a non-negative factor.
    public init?(argument: String) {
        switch argument {
        case "fast": self = .fast
        case "recorded": self = .scaled(1)
        default:
            guard let factor = Double(argument), factor >= 0, factor.isFinite else { return nil }
            self = factor == 0 ? .fast : .scaled(factor)
        }
    }

    func gap(from previous: Double?, to next: Double) -> Double {
        guard case .scaled(let factor) = self, let previous else { return 0 }
        return max(0, next - previous) * factor
    }
}
