/// Why a packet source could not be opened or read.
///
/// Equal on `code` (like `PacketDecodeError`); `reason` is one line naming the
/// file or interface and, for read errors, the packet number and byte offset.
public struct PacketSourceError: Error, Equatable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case cannotOpen
            case notACapture
            case unsupportedLinkType
            case badFilter
            case truncated
            case readError
            case permissionDenied
            case noSuchDevice
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The file or interface could not be opened (missing file, damaged header, interface down).
        public static let cannotOpen = Code(.cannotOpen)
        /// The file is neither pcap nor pcapng.
        public static let notACapture = Code(.notACapture)
        /// The link type is not one `LinkType` decodes.
        public static let unsupportedLinkType = Code(.unsupportedLinkType)
        /// The BPF filter expression did not compile or could not be installed.
        public static let badFilter = Code(.badFilter)
        /// The file ends in the middle of a packet record.
        public static let truncated = Code(.truncated)
        /// libpcap reported a damaged record or a failed read.
        public static let readError = Code(.readError)
        /// Not allowed to read the file or to capture on the interface.
        public static let permissionDenied = Code(.permissionDenied)
        /// The interface does not exist.
        public static let noSuchDevice = Code(.noSuchDevice)

        public var description: String {
            switch base {
            case .cannotOpen: "cannotOpen"
            case .notACapture: "notACapture"
            case .unsupportedLinkType: "unsupportedLinkType"
            case .badFilter: "badFilter"
            case .truncated: "truncated"
            case .readError: "readError"
            case .permissionDenied: "permissionDenied"
            case .noSuchDevice: "noSuchDevice"
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

    public static func == (a: PacketSourceError, b: PacketSourceError) -> Bool { a.code == b.code }
}
