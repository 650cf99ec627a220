/// Which logical Engine.IO (Socket.IO) session a connection carried: one
/// logical session spans the connections of its long-polling requests (a GET
/// held open, POSTs beside it) and the WebSocket connection it upgrades to,
/// all naming the same `sid`. Filled when a recording is made (from the
/// `open` packet's sid, or the `sid=` of the connection's requests); `inspect`
/// groups connections by it and the mock serves a live client's polling
/// requests from its logical session. Absent on every other connection, so
/// recordings without Engine.IO encode exactly as before.
public struct EngineIOLink: Hashable, Sendable {
    public enum Transport: String, Hashable, Sendable, CaseIterable {
        /// HTTP long-polling requests only (the handshake among them, or not).
        case polling
        /// The connection was upgraded to WebSocket (`transport=websocket`,
        /// after a polling handshake or straight away).
        case websocket
    }

    /// The Engine.IO session id, as the recording has it (sids are the
    /// server's per-session ids, not credentials: not redacted).
    public var sid: String
    public var transport: Transport

    public init(sid: String, transport: Transport) {
        self.sid = sid
        self.transport = transport
    }
}

extension EngineIOLink {
    var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("sid", sid)
        o.add("transport", transport.rawValue)
        return o.object
    }

    init(reader r: JSONReader) throws(RecordingError) {
        let t = try r.require("transport")
        guard let transport = Transport(rawValue: try t.string) else {
            throw t.invalid("expected \"polling\" or \"websocket\"")
        }
        self.init(sid: try r.string("sid"), transport: transport)
    }
}
