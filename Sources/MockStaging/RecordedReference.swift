public import TrafficModel

/// Points at one recorded exchange: which recording, session and exchange.
public struct RecordedReference: Hashable, Sendable, CustomStringConvertible {
    /// Index of the recording in the order the mock was given them.
    public var recording: Int
    /// The recording's name (its file, or its source name).
    public var recordingName: String
    public var session: String
    public var exchange: Int

    public init(recording: Int, recordingName: String, session: String, exchange: Int) {
        self.recording = recording
        self.recordingName = recordingName
        self.session = session
        self.exchange = exchange
    }

    public var description: String { "\(recordingName) session \(session) exchange \(exchange)" }

    public var json: JSONValue {
        .object([
            ("recording", .string(recordingName)),
            ("session", .string(session)),
            ("exchange", .int(exchange)),
        ])
    }
}
