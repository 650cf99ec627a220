/// The shape of every module's one error struct (`RecordingError` here,
/// `WireError`, `CaptureError`, `MockStagingError`, `ReplayError`), after
/// swift-asn1's `ASN1Error`: a code (a struct around a private enum, so codes
/// can be added without breaking a `switch`), a location and a human reason.
///
/// Equal and hashable on the `code` only, so a test or a caller checks for a
/// kind of failure by building the error it expects; where and why are for
/// the person reading the message.
public protocol CodedError: Error, Hashable, Sendable, CustomStringConvertible {
    associatedtype Code: Hashable, Sendable, CustomStringConvertible
    /// What kind of failure it is.
    var code: Code { get }
    /// Where: whichever of a file, a byte offset, a session and a JSON path apply.
    var location: ErrorLocation { get }
    /// A sentence for people: what was wrong, where, and what to do.
    var reason: String { get }

    init(code: Code, location: ErrorLocation, reason: String)
}

extension CodedError {
    /// An error whose reason already says where (the location is for callers that want it apart).
    public init(_ code: Code, _ reason: String, location: ErrorLocation = ErrorLocation()) {
        self.init(code: code, location: location, reason: reason)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The reason alone, for errors whose reason already names where; a module
    /// whose messages start with the code (or a place) says so in its own.
    public var description: String { reason }
}
