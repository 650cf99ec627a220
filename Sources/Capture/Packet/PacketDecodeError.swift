/// Why a captured packet could not be decoded.
///
/// Equal on `code` (like swift-asn1's errors); `reason` is the human message,
/// e.g. "IPv4 header truncated: 12 of 20 bytes".
public struct PacketDecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case unsupportedLinkType
            case truncatedHeader
            case malformedHeader
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The capture's data link type is not one `LinkType` decodes.
        public static let unsupportedLinkType = Code(.unsupportedLinkType)
        /// A header was cut short (usually by the capture's snaplen).
        public static let truncatedHeader = Code(.truncatedHeader)
        /// A header field is impossible (bad version, length below minimum).
        public static let malformedHeader = Code(.malformedHeader)

        public var description: String {
            switch base {
            case .unsupportedLinkType: "unsupportedLinkType"
            case .truncatedHeader: "truncatedHeader"
            case .malformedHeader: "malformedHeader"
            }
        }
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { reason }

    public static func == (a: PacketDecodeError, b: PacketDecodeError) -> Bool { a.code == b.code }

    static func truncated(_ what: String, have: Int, need: Int) -> PacketDecodeError {
        PacketDecodeError(.truncatedHeader, "\(what) truncated: \(have) of \(need) bytes")
    }

    static func malformed(_ reason: String) -> PacketDecodeError {
        PacketDecodeError(.malformedHeader, reason)
    }
}
