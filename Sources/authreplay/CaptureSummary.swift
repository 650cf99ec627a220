import Capture
import TrafficModel

/// The lines `import` and `capture` print.
enum CaptureSummary {
    static func progress(_ s: CaptureStatistics, _ source: PacketSourceStatistics?) -> String {
        var text = "\(s.packets) packets  \(megabytes(s.bytes))  \(s.sessions) sessions  \(s.exchanges) exchanges  \(s.messages) WS messages"
        if let source { text += "  \(source.droppedByKernel) dropped" }
        return text
    }

    static func text(_ o: CaptureOutcome, output: String) -> String {
        let s = o.statistics
        var lines = [
            "wrote \(output): \(s.sessions) sessions, \(s.exchanges) HTTP exchanges, \(s.messages) WebSocket messages, \(s.anomalies) anomalies",
            "read \(s.packets) packets (\(megabytes(s.bytes))): \(s.tcpSegments) TCP, \(s.connections) connections, \(s.skippedConnections) not HTTP (left out)",
        ]
        if !s.layerCounts.isEmpty {
            lines.append("layers: " + s.layerCounts.map { "\($0.layer) \(grouped($0.packets)) packets" }.joined(separator: ", "))
        }
        if s.ipFragments > 0 {
            var line = "\(s.ipFragments) IP fragments: \(s.reassembledDatagrams) datagrams reassembled, \(s.droppedDatagrams) given up"
            if let first = s.firstFragmentProblem { line += " (first: \(first))" }
            lines.append(line)
        }
        if s.duplicateSegments > 0 {
            lines.append("\(s.duplicateSegments) duplicate TCP segments (mirrored copies) dropped")
        }
        if s.undecodablePackets > 0 {
            var line = "\(s.undecodablePackets) packets could not be decoded"
            if let first = s.firstDecodeError { line += " (first: \(first))" }
            lines.append(line)
        }
        if let k = o.sourceStatistics {
            lines.append("kernel: \(k.received) received, \(k.droppedByKernel) dropped by the kernel, \(k.droppedByInterface) by the interface")
        }
        return lines.joined(separator: "\n")
    }

    static func json(_ o: CaptureOutcome, output: String) -> JSONValue {
        let s = o.statistics
        var members: [(String, JSONValue)] = [
            ("output", .string(output)), ("complete", .bool(o.isComplete)),
            ("packets", .int(s.packets)), ("bytes", .int(s.bytes)), ("tcpSegments", .int(s.tcpSegments)),
            ("connections", .int(s.connections)), ("skippedConnections", .int(s.skippedConnections)),
            ("sessions", .int(s.sessions)), ("exchanges", .int(s.exchanges)), ("messages", .int(s.messages)),
            ("anomalies", .int(s.anomalies)), ("undecodablePackets", .int(s.undecodablePackets)), ("ipFragments", .int(s.ipFragments)),
            ("reassembledDatagrams", .int(s.reassembledDatagrams)), ("droppedDatagrams", .int(s.droppedDatagrams)),
            ("duplicateSegments", .int(s.duplicateSegments)),
            ("layers", .object(s.layerCounts.map { ($0.layer, .int($0.packets)) })),
        ]
        if let k = o.sourceStatistics {
            members.append(("kernel", .object([("received", .int(k.received)), ("droppedByKernel", .int(k.droppedByKernel)), ("droppedByInterface", .int(k.droppedByInterface))])))
        }
        members.append(("error", o.inputError.map { .string("\($0)") } ?? .null))
        return .object(members)
    }

    /// 1204 as "1,204".
    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        return digits.enumerated().map { i, c in (i > 0 && (digits.count - i) % 3 == 0 ? "," : "") + String(c) }.joined()
    }

    static func megabytes(_ bytes: Int) -> String {
        formatFixed(Double(bytes) / 1_000_000, decimals: 1) + " MB"
    }
}

extension CaptureSummary {
    /// The pcap summary's first line and keys, with HAR counts in place of packet counts.
    static func text(har s: HARImport.Statistics, output: String) -> String {
        var lines = [
            "wrote \(output): \(s.sessions) sessions, \(s.exchanges) HTTP exchanges, \(s.messages) WebSocket messages, \(s.anomalies) anomalies",
            "read \(s.entries) HAR entries (\(megabytes(s.bytes))\(s.creator.map { ", from \($0)" } ?? "")): \(s.failedRequests) failed requests (no response), \(s.invalidEntries) unusable",
        ]
        if s.invalidEntries > 0 { lines.append("unusable entries are kept as malformed-http anomalies with the entry's JSON") }
        return lines.joined(separator: "\n")
    }

    static func json(har s: HARImport.Statistics, output: String, error: String?) -> JSONValue {
        .object([
            ("output", .string(output)), ("complete", .bool(error == nil)), ("format", .string("har")),
            ("entries", .int(s.entries)), ("bytes", .int(s.bytes)), ("failedRequests", .int(s.failedRequests)),
            ("invalidEntries", .int(s.invalidEntries)),
            ("sessions", .int(s.sessions)), ("exchanges", .int(s.exchanges)), ("messages", .int(s.messages)),
            ("anomalies", .int(s.anomalies)), ("creator", s.creator.map { .string($0) } ?? .null),
            ("error", error.map { .string($0) } ?? .null),
        ])
    }
}
