public import TrafficModel

/// The fixtures commands' one error (`minimize`, `variants`): what was
/// wrong with what was asked, and what to do.
public struct FixturesError: CodedError {
    public var code: Code
    public var location: ErrorLocation
    public var reason: String

    public init(code: Code, location: ErrorLocation, reason: String) {
        (self.code, self.location, self.reason) = (code, location, reason)
    }
}

extension FixturesError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: Hashable, Sendable {
            case invalidOutcome
            case notReproduced
            case nothingToReduce
        }

        fileprivate let base: Base
        private init(_ base: Base) { self.base = base }

        /// An `--until` expression is not `KEY=VALUE` or names an impossible value.
        public static let invalidOutcome = Code(.invalidOutcome)
        /// The whole recording does not show the outcome: there is nothing to keep it for.
        public static let notReproduced = Code(.notReproduced)
        /// The recording has no session to reduce.
        public static let nothingToReduce = Code(.nothingToReduce)

        public var description: String { String(describing: base) }
    }
}
