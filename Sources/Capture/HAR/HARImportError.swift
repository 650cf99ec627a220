/// Why a HAR file could not be imported at all. A bad entry is not an error:
/// it becomes an anomaly and the rest of the file imports.
public struct HARImportError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Code: Equatable, Sendable {
        /// Larger than `HARImporter.Limits.maxFileBytes`.
        case tooLarge
        /// Not valid JSON (the reason carries line and column).
        case malformedJSON
        /// Valid JSON, but no top-level `log` object with an `entries` array.
        case notHAR
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { reason }

    public static func == (a: HARImportError, b: HARImportError) -> Bool { a.code == b.code }
}
