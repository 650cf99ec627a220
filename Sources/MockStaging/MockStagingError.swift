public import TrafficModel

/// MockStaging's one error: why the mock server could not start.
///
/// A `CodedError`: like swift-asn1's `ASN1Error`, equal (and hashable) on the
/// `code` only; the location and the reason are for people. The description
/// is the reason.
public struct MockStagingError: CodedError {
    public var code: Code
    public var location: ErrorLocation
    public var reason: String

    public init(code: Code, location: ErrorLocation, reason: String) {
        (self.code, self.location, self.reason) = (code, location, reason)
    }
}

extension MockStagingError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: Hashable, Sendable {
            case invalidConfiguration
            case bindFailed
            case invalidFault
        }

        fileprivate let base: Base
        private init(_ base: Base) { self.base = base }

        /// A limit or timeout of the configuration is not usable.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The listening socket could not be bound.
        public static let bindFailed = Code(.bindFailed)
        /// A `--fault` spec is not one the mock understands.
        public static let invalidFault = Code(.invalidFault)

        public var description: String { String(describing: base) }
    }
}
