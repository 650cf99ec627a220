import TrafficModel
import Wire

extension ResponseComparator {
    /// An Engine.IO long-polling answer: status and headers as any response,
    /// the body packet by packet (`\u{1E}`-separated), each behind its
    /// prefix as a WebSocket message is (`packet 2: $.steps expected 4, got 6`).
    /// Heartbeat packets (`2`, `3`) are left out on both sides: their timing
    /// is the server's clock, not its logic.
    func compare(expectedPolling expected: HTTPResponse?, actual: HTTPResponse) -> [String] {
        guard let expected else { return [] }
        guard case .text(let e)? = expected.body, case .text(let a)? = actual.body else {
            return compare(expected: expected, actual: actual)
        }
        var head = expected
        var live = actual
        head.body = nil
        live.body = nil
        var out = compare(expected: head, actual: live)
        out += inOrder(Self.packets(e), Self.packets(a), label: { "packet \($0)" }, describe: { PayloadComparator.describe(.text($0), limit: 120) }) { e, a in
            let diffs = PayloadComparator.differences(expected: .text(e), actual: .text(a), options: options)
            return diffs.isEmpty ? nil : diffs.joined(separator: "; ")
        }
        return out
    }

    /// A polling payload's packets without heartbeats.
    static func packets(_ payload: String) -> [String] {
        payload.split(separator: EngineIOPacket.separator, omittingEmptySubsequences: false).map(String.init)
            .filter { $0 != EngineIOHeartbeat.ping && $0 != EngineIOHeartbeat.pong }
    }
}
