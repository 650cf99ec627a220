/// The query parameters of an Engine.IO request (`/socket.io/?EIO=4&
/// transport=polling&t=…&sid=…`) whose values differ on every run of the
/// same client: `t`, a cache buster (a timestamp or counter), `sid`, the
/// session id the server handed out, and `j`, a JSONP index. Matching a
/// request to a recorded one compares only whether they are there: a
/// WebSocket handshake with a `sid` upgrades a polling session, one
/// without opens a new session, and those are different recorded answers.
public enum EngineIOQuery {
    public static let perConnectionParameters: Set<String> = ["t", "sid", "j"]

    /// True when the parameters (name, value) are an Engine.IO request's.
    public static func isEngineIO(_ parameters: [(String, String)]) -> Bool {
        parameters.contains { $0.0 == "EIO" }
    }

    /// The parameters matching compares: on an Engine.IO request, the
    /// per-connection ones with their value replaced by `*`.
    public static func stable(_ parameters: [(String, String)]) -> [(String, String)] {
        guard isEngineIO(parameters) else { return parameters }
        return parameters.map { perConnectionParameters.contains($0.0) ? ($0.0, "*") : $0 }
    }

    /// A request target with its `t` cache buster (when it has one) set to
    /// `value`: a client sends a fresh one with every poll, and a replay
    /// sends its own rather than the recorded run's.
    public static func replacingCacheBuster(in target: String, with value: String) -> String {
        guard let q = target.firstIndex(of: "?") else { return target }
        let pairs = target[target.index(after: q)...].split(separator: "&", omittingEmptySubsequences: false).map { pair in
            pair.hasPrefix("t=") ? "t=\(value)" : String(pair)
        }
        return String(target[...q]) + pairs.joined(separator: "&")
    }
}
