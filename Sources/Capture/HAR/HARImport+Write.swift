public import TrafficModel

extension HARImport {
    /// Writes the recording through `writer` the way a pcap import does:
    /// each session redacted before it reaches the disk (findings redacted in
    /// place), then published atomically. nil `redactor` writes secrets as
    /// captured and says so in the recording.
    public func write(to writer: RecordingFileWriter, redactor: Redactor?) throws(CaptureError) {
        var counts: [String: Int] = [:]
        let sessions = redactor.map { r in recording.sessions.map { r.redact(session: $0, counts: &counts) } } ?? recording.sessions
        try writer.write(sessions, capturedAt: recording.capturedAt)
        try writer.commit(capturedAt: recording.capturedAt, redaction: redactor?.summary(counts: counts) ?? RedactionSummary(enabled: false))
    }
}
