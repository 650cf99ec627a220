/// TrafficModel's one error: why a recording, a JSON document or a redaction
/// rules file could not be read — what was wrong, and where — or why a secret
/// could not be bound into a recording at replay time.
///
/// The location is a JSON path into the document (`$.sessions[0].exchanges[1].request.method`),
/// or the line and column of a JSON syntax error, so a hand-edited or damaged
/// file can be fixed without guessing.
///
/// A `CodedError`: like swift-asn1's `ASN1Error`, equal (and hashable) on the
/// `code` only; the location and reason are for people.
public struct RecordingError: CodedError {
    public var code: Code
    public var location: ErrorLocation
    public var reason: String

    public init(code: Code, location: ErrorLocation, reason: String) {
        (self.code, self.location, self.reason) = (code, location, reason)
    }

    /// An error at a JSON path into the document.
    public init(_ code: Code, at jsonPath: String, _ reason: String) {
        self.init(code: code, location: ErrorLocation(jsonPath: jsonPath), reason: reason)
    }

    /// `invalid value at $.sessions[0].id: …`, `invalid JSON at 3:14: …`; a
    /// secret binding's reason says it all (`--secret body:pin: …`).
    public var description: String { code.label.map { "\($0) at \(location): \(reason)" } ?? reason }

    /// A `--secret` binding (`RULE=VALUE` or `redacted:PSEUDONYM=VALUE`) the recording does not fit.
    static func secretBinding(_ binding: String, _ reason: String) -> RecordingError {
        RecordingError(.invalidSecretBinding, "--secret \(binding): \(reason)")
    }
}

extension RecordingError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: Hashable, Sendable {
            case invalidJSON
            case unsupportedVersion
            case missingField
            case wrongType
            case invalidValue
            case unknownField
            case invalidSecretBinding
            case invalidSigningKey
        }

        fileprivate let base: Base
        private init(_ base: Base) { self.base = base }

        /// Not valid JSON (RFC 8259); the location has line and column.
        public static let invalidJSON = Code(.invalidJSON)
        /// A recording format version this build does not read.
        public static let unsupportedVersion = Code(.unsupportedVersion)
        /// A required member is missing.
        public static let missingField = Code(.missingField)
        /// A member has the wrong JSON type.
        public static let wrongType = Code(.wrongType)
        /// A member's value is not one the format allows.
        public static let invalidValue = Code(.invalidValue)
        /// A member the format (a redaction rules file) does not know.
        public static let unknownField = Code(.unknownField)
        /// A secret bound at replay time (`SecretBinder`) that the recording does not fit.
        public static let invalidSecretBinding = Code(.invalidSecretBinding)
        /// A JWT signing key spec (`ALG:SECRET`) that cannot be used.
        public static let invalidSigningKey = Code(.invalidSigningKey)

        public var description: String { String(describing: base) }

        /// The words that start the error's description; nil where the reason says it all.
        fileprivate var label: String? {
            switch base {
            case .invalidJSON: "invalid JSON"
            case .unsupportedVersion: "unsupported format"
            case .missingField: "missing field"
            case .wrongType: "wrong type"
            case .invalidValue: "invalid value"
            case .unknownField: "unknown field"
            case .invalidSecretBinding, .invalidSigningKey: nil
            }
        }
    }
}
