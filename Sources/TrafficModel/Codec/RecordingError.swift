/// Why a recording could not be read: what was wrong, and where.
///
/// `path` is a JSON path into the document (`$.sessions[0].exchanges[1].request.method`)
/// so a hand-edited or damaged file can be fixed without guessing.
public struct RecordingError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Code: String, Equatable, Sendable {
        case invalidJSON = "invalid JSON"
        case unsupportedVersion = "unsupported format"
        case missingField = "missing field"
        case wrongType = "wrong type"
        case invalidValue = "invalid value"
    }

    public let code: Code
    public let path: String
    public let reason: String

    public init(_ code: Code, at path: String, _ reason: String) {
        self.code = code
        self.path = path
        self.reason = reason
    }

    public static func == (a: RecordingError, b: RecordingError) -> Bool {
        a.code == b.code && a.path == b.path
    }

    public var description: String { "\(code.rawValue) at \(path): \(reason)" }
}
