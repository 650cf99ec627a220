public import TrafficModel

/// The server side of Engine.IO protocol 4 heartbeats: the server sends a
/// ping (`2`) every `pingInterval`, the client answers a pong (`3`), and a
/// session whose client has not answered within `pingTimeout` is closed
/// (engine.io's "ping timeout"). Protocol 3 had the client ping; not handled.
///
/// The mock generates these live at the interval its recorded `open` packet
/// negotiated instead of replaying recorded `2`/`3` packets (their timing is
/// the recorded run's, not this client's), and Replay answers a live
/// server's pings instead of sending recorded pongs. The probe of an upgrade
/// (`2probe`/`3probe`) is not a heartbeat: it stays in the script.
///
/// A state machine like swift-nio's: mutating methods return the action,
/// the caller performs it (schedules a timer, sends the ping, closes). No
/// clock, no I/O.
public struct EngineIOHeartbeat: Hashable, Sendable {
    /// What an `open` packet negotiates, in seconds.
    public struct Parameters: Hashable, Sendable {
        public var pingInterval: Double
        public var pingTimeout: Double

        public init(pingInterval: Double, pingTimeout: Double) {
            self.pingInterval = pingInterval
            self.pingTimeout = pingTimeout
        }

        /// The intervals of an `open` packet (`0{"sid":…,"pingInterval":25000,
        /// "pingTimeout":20000,…}`, milliseconds) a polling answer or a WebSocket
        /// message starts with; nil when it is not one or lacks a positive value.
        public init?(openPacket payload: Body?) {
            guard let open = EngineIOPacket.openPacket(payload),
                  let interval = open["pingInterval"]?.doubleValue, let timeout = open["pingTimeout"]?.doubleValue,
                  interval > 0, timeout > 0, interval.isFinite, timeout.isFinite
            else { return nil }
            self.init(pingInterval: interval / 1000, pingTimeout: timeout / 1000)
        }
    }

    public enum Action: Hashable, Sendable {
        /// Call `timerFired()` after this many seconds (replacing any timer set before).
        case wait(Double)
        /// Send a ping packet (`2`), then call `timerFired()` after this many
        /// seconds unless a pong came first.
        case ping(thenWait: Double)
        /// The client did not answer in time: close the session.
        case close(reason: String)
        /// Nothing to do (a pong nobody waited for).
        case none
    }

    private enum State: Hashable, Sendable {
        case idle, waitingToPing, waitingForPong, closed
    }

    public let parameters: Parameters
    private var state = State.idle

    public init(_ parameters: Parameters) {
        self.parameters = parameters
    }

    /// True once `start()` was called (and until the session closed).
    public var isRunning: Bool { state == .waitingToPing || state == .waitingForPong }

    /// Begins the cycle: the first ping is due one interval from now.
    public mutating func start() -> Action {
        guard state == .idle else { return .none }
        state = .waitingToPing
        return .wait(parameters.pingInterval)
    }

    /// The timer set by the last action fired.
    public mutating func timerFired() -> Action {
        switch state {
        case .waitingToPing:
            state = .waitingForPong
            return .ping(thenWait: parameters.pingTimeout)
        case .waitingForPong:
            state = .closed
            return .close(reason: "ping timeout: no pong within \(Self.milliseconds(parameters.pingTimeout)) ms")
        case .idle, .closed:
            return .none
        }
    }

    /// The client's pong (`3`): the next ping is due one interval from now.
    public mutating func pong() -> Action {
        switch state {
        case .waitingForPong:
            state = .waitingToPing
            return .wait(parameters.pingInterval)
        case .idle, .waitingToPing, .closed:
            return .none
        }
    }

    /// The text of a heartbeat ping and pong packet.
    public static let ping = "2"
    public static let pong = "3"

    /// A WebSocket message that is a heartbeat ping or pong (`2`, `3`; not
    /// the upgrade's `2probe`/`3probe`).
    public static func isHeartbeat(_ message: WebSocketMessage) -> Bool {
        guard message.opcode == .text, case .text(let text) = message.payload else { return false }
        return text == ping || text == pong
    }

    /// A WebSocket message that is the client's pong.
    public static func isPong(_ message: WebSocketMessage) -> Bool {
        message.opcode == .text && message.payload == .text(pong)
    }

    /// A WebSocket message that is the server's ping.
    public static func isPing(_ message: WebSocketMessage) -> Bool {
        message.opcode == .text && message.payload == .text(ping)
    }

    /// A long-polling body made only of heartbeat packets (a client's `3`s).
    public static func isHeartbeatPayload(_ body: Body?) -> Bool {
        guard case .text(let text)? = body, !text.isEmpty,
              let packets = try? EngineIOPacket.parse(payload: text)
        else { return false }
        return packets.allSatisfy { ($0.type == .ping || $0.type == .pong) && $0.data == .text("") }
    }

    /// A long-polling body without its heartbeat packets (a client batches a
    /// pong with what it sends next: `3\u{1E}421["run",…]`), so it compares
    /// like one sent without them; nil when nothing else is left, the body
    /// itself when it has none (or is not a payload).
    public static func withoutHeartbeats(_ body: Body?) -> Body? {
        guard case .text(let text)? = body, text.contains(EngineIOPacket.separator) || text == ping || text == pong else { return body }
        let pieces = text.split(separator: EngineIOPacket.separator, omittingEmptySubsequences: false)
        let kept = pieces.filter { $0 != ping && $0 != pong }
        guard kept.count != pieces.count else { return body }
        return kept.isEmpty ? nil : .text(kept.joined(separator: String(EngineIOPacket.separator)))
    }

    static func milliseconds(_ seconds: Double) -> Int { Int((seconds * 1000).rounded()) }
}
