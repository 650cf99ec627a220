/// Where an error was found, for every module's error struct (`RecordingError`,
/// `WireError`, `CaptureError`, `MockStagingError`, `ReplayError`): whichever of a
/// file, a byte offset (with line and column for text), a session id and a JSON
/// path apply. All are optional; an error that knows none has an empty location.
///
/// Not part of an error's equality (errors are equal on their code).
public struct ErrorLocation: Hashable, Sendable, CustomStringConvertible {
    /// The file (recording, capture, HAR, rules file) or interface the error is in.
    public var file: String?
    /// Byte offset: in the file, or in one direction's stream for protocol errors.
    public var offset: Int?
    /// Line and column (1-based) of a text file's offending byte.
    public var line: Int?
    public var column: Int?
    /// The id of the recorded session the error is about.
    public var session: String?
    /// A JSON path into the document, `$.sessions[0].exchanges[1].request.method`.
    public var jsonPath: String?

    public init(
        file: String? = nil, offset: Int? = nil, line: Int? = nil, column: Int? = nil,
        session: String? = nil, jsonPath: String? = nil
    ) {
        self.file = file
        self.offset = offset
        self.line = line
        self.column = column
        self.session = session
        self.jsonPath = jsonPath
    }

    /// `file:line:column` (or `file offset N`), then the JSON path and the
    /// session, separated by ", "; empty when nothing is known.
    public var description: String {
        var place = file ?? ""
        if let line {
            place += (place.isEmpty ? "" : ":") + "\(line):\(column ?? 1)"
        } else if let offset {
            place += (place.isEmpty ? "" : " ") + "offset \(offset)"
        }
        return [place.isEmpty ? nil : place, jsonPath, session.map { "session \($0)" }]
            .compactMap { $0 }
            .joined(separator: ", ")
    }
}
