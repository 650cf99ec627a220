public import TrafficModel

/// Report's one error: a replay result (`replay --json`) that cannot be read.
public struct ReportError: CodedError {
    public var code: Code
    public var location: ErrorLocation
    public var reason: String

    public init(code: Code, location: ErrorLocation, reason: String) {
        (self.code, self.location, self.reason) = (code, location, reason)
    }
}

extension ReportError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: Hashable, Sendable {
            case invalidReplayResult
        }

        fileprivate let base: Base
        private init(_ base: Base) { self.base = base }

        /// The file is not what `authreplay replay --json` writes.
        public static let invalidReplayResult = Code(.invalidReplayResult)

        public var description: String { String(describing: base) }
    }
}
