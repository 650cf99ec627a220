public import TrafficModel

/// Fresh Engine.IO session ids for the mock, and the recorded ones swapped
/// for them: every client gets its own `sid` in its `open` packet, and
/// every later mention of the recorded id in what the mock sends says the
/// fresh one (matching already ignores the value, `EngineIOQuery`).
public struct EngineIOSessionIDs: Sendable {
    /// Recorded sid → the fresh one handed out in its place (the latest).
    public private(set) var fresh: [String: String] = [:]
    /// Fresh sid → the heartbeat its `open` packet negotiated: an upgrade
    /// (a WebSocket handshake with `sid=`) pings at the polling handshake's interval.
    public private(set) var heartbeats: [String: EngineIOHeartbeat.Parameters] = [:]
    /// Fresh sid → the recorded session it stands for: a live client's
    /// polling requests are served from that logical session.
    public private(set) var recorded: [String: String] = [:]
    private let generate: @Sendable () -> String

    /// `generate` makes one id; the default is 20 random base64url
    /// characters, the length engine.io's own ids have.
    public init(generate: @escaping @Sendable () -> String = EngineIOSessionIDs.random) {
        self.generate = generate
    }

    public static func random() -> String {
        var rng = SystemRandomNumberGenerator()
        let bytes = (0..<15).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return Base64.encode(bytes, url: true, padding: false)
    }

    /// A payload the mock is about to send: an `open` packet gets a fresh
    /// sid; any recorded sid handed out before is replaced by its fresh one.
    /// The client's own packets (a CONNECT whose credential only another
    /// recorded session had) moved its fresh sid to the recorded session
    /// `recordedSID`: later answers come from there, and mention the fresh sid.
    public mutating func rebind(fresh sid: String, to recordedSID: String) {
        recorded[sid] = recordedSID
        fresh[recordedSID] = sid
    }

    public mutating func rewrite(_ payload: Body) -> Body {
        guard case .text(var text) = payload else { return payload }
        if let recorded = EngineIOPacket.openSessionID(payload), recorded.utf8.count >= 8 {
            let sid = generate()
            fresh[recorded] = sid
            self.recorded[sid] = recorded
            heartbeats[sid] = EngineIOHeartbeat.Parameters(openPacket: payload)
        }
        for (recorded, replacement) in fresh where text.contains(recorded) {
            text = text.replacing(recorded, with: replacement)
        }
        return .text(text)
    }
}
