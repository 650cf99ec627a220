public import TrafficModel

/// Writes recorded events back as `text/event-stream` bytes, one block per
/// event, so `ServerSentEventParser` reads back the same fields (the
/// round trip the tests check). Fields go in a fixed order (comments,
/// retry, id, event, data) with LF line breaks: the order of fields inside a
/// block does not change what a client sees, and is not recorded.
public enum ServerSentEventWriter {
    public static func bytes(_ event: ServerSentEvent) -> [UInt8] {
        var out: [UInt8] = []
        for comment in event.comments { line(":", comment, into: &out) }
        if let retry = event.retry { line("retry:", String(retry), into: &out) }
        if let id = event.id { line("id:", id, into: &out) }
        if let type = event.event { line("event:", type, into: &out) }
        if let data = event.data {
            // The parser joined data lines with LF; any other break splits a line too.
            for piece in data.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
                line("data:", String(piece), into: &out)
            }
        }
        out.append(0x0A)
        return out
    }

    /// `name` then the value after one space (which the parser drops), so a
    /// value that starts with a space keeps it.
    private static func line(_ name: String, _ value: String, into out: inout [UInt8]) {
        out += name.utf8
        if !value.isEmpty { out.append(UInt8(ascii: " ")) }
        out += value.utf8
        out.append(0x0A)
    }
}
