import TrafficModel
import Wire

/// A logical Engine.IO session that stayed on HTTP long-polling, replayed
/// as one: its connections (the recording's `Session.engineIO` with the
/// same `sid`, none upgraded) run at the same time, each request sent once
/// every exchange of the logical session whose recorded answer came before
/// it was sent has its live answer. So a GET the server holds until a POST
/// on another connection arrives is out while that POST goes, as recorded.
/// Pure: plan sessions in, a schedule out.
struct PollingSessionPlan: Sendable {
    /// One recorded exchange of one of the connections.
    struct Exchange: Sendable {
        /// Index into `members`.
        var member: Int
        var step: HTTPStep
        /// Indices into `exchanges` that must have their live answer first.
        var after: [Int]
        /// Not sent: only heartbeat packets (a pong POST `3`; without
        /// `--pace`, a GET answered `2`). The live server's pings are answered instead.
        var heartbeat: Bool
        /// A GET still held when the client's close (`1`) was answered: the
        /// client's last poll, which it never read. Sent, not awaited.
        var abandoned: Bool
    }

    /// Plan indices of the connections, in plan order.
    var members: [Int]
    /// Every exchange of every connection, in recorded request order.
    var exchanges: [Exchange]
    /// The recorded time of the first request, where `--pace` gaps start.
    var startedAt: Double

    /// The logical polling-only sessions among the plan's sessions: plan
    /// indices grouped by Engine.IO sid, where no connection of the sid was
    /// upgraded to WebSocket (those replay as today: the upgrade carries the script).
    static func logicalSessions(_ plan: ReplayPlan) -> [[Int]] {
        var bySID: [String: [Int]] = [:]
        var order: [String] = []
        var upgraded = Set<String>()
        for (i, session) in plan.sessions.enumerated() {
            guard let link = session.session.engineIO ?? EngineIOReadable.link(session.session) else { continue }
            let key = "\(session.recordingIndex)\u{0}\(link.sid)"
            if link.transport == .websocket || session.session.websocket != nil { upgraded.insert(key) }
            if bySID[key] == nil { order.append(key) }
            bySID[key, default: []].append(i)
        }
        return order.filter { !upgraded.contains($0) }.compactMap { bySID[$0] }
    }

    /// `pollsForPings`: a GET recorded answered by a ping alone is sent (with
    /// `--pace`, when the live server's ping is due about when it was recorded,
    /// and a poll must be out to carry it); without, it is left out.
    init(members: [Int], of plan: ReplayPlan, pollsForPings: Bool) {
        self.members = members
        var all: [Exchange] = []
        for (m, index) in members.enumerated() {
            for step in plan.sessions[index].steps {
                guard case .http(let http) = step else { continue }
                all.append(Exchange(member: m, step: http, after: [], heartbeat: Self.isHeartbeat(http, pollsForPings: pollsForPings), abandoned: false))
            }
        }
        all.sort { ($0.step.request.at, $0.member, $0.step.exchange) < ($1.step.request.at, $1.member, $1.step.exchange) }
        // The client's close packet (`1`, in a POST body), answered: a GET answered after that was never read.
        let closedAt = all.compactMap { e -> Double? in
            guard e.step.request.method == "POST", case .text(let body)? = e.step.request.body,
                  (try? EngineIOPacket.parse(payload: body))?.contains(where: { $0.type == .close }) == true
            else { return nil }
            return e.step.expectedResponse?.at
        }.min()
        for i in all.indices {
            let request = all[i].step.request
            all[i].after = all.indices.filter { j in
                j != i && !all[j].heartbeat && (all[j].step.expectedResponse?.at ?? .infinity) <= request.at
            }
            if let closedAt, request.method == "GET", request.at < closedAt, (all[i].step.expectedResponse?.at ?? .infinity) > closedAt {
                all[i].abandoned = true
            }
        }
        exchanges = all
        startedAt = all.first?.step.request.at ?? 0
    }

    /// A request, or a recorded answer, made only of heartbeat packets.
    static func isHeartbeat(_ step: HTTPStep, pollsForPings: Bool) -> Bool {
        switch step.request.method {
        case "POST": return EngineIOHeartbeat.isHeartbeatPayload(step.request.body)
        case "GET": return !pollsForPings && EngineIOHeartbeat.isHeartbeatPayload(step.expectedResponse?.body)
        default: return false
        }
    }
}
