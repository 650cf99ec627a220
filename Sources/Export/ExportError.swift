public import TrafficModel

/// Export's one error (a `CodedError`): why recordings could not be exported.
public struct ExportError: CodedError {
    public var code: Code
    public var location: ErrorLocation
    public var reason: String

    public init(code: Code, location: ErrorLocation, reason: String) {
        (self.code, self.location, self.reason) = (code, location, reason)
    }
}

extension ExportError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: Hashable, Sendable {
            case nothingToExport
        }

        fileprivate let base: Base
        private init(_ base: Base) { self.base = base }

        /// No session of the recordings has an HTTP request to send.
        public static let nothingToExport = Code(.nothingToExport)

        public var description: String { String(describing: base) }
    }
}
