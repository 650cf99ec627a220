public import TrafficModel

/// Capture's one error: why a packet could not be decoded, a packet source
/// opened or read, a HAR file imported, the recording proxy started, or a
/// recording written.
///
/// A `CodedError`: like swift-asn1's `ASN1Error`, equal (and hashable) on the
/// `code` only; the location (the file or interface, a byte offset) and the
/// reason are for people. The description is the reason, one line that already names the
/// file or interface and, for read errors, the packet number and byte offset,
/// e.g. "IPv4 header truncated: 12 of 20 bytes".
///
/// A bad HAR entry or an undecodable packet is not fatal: it becomes an
/// anomaly and the rest of the input imports.
public struct CaptureError: CodedError {
    public var code: Code
    public var location: ErrorLocation
    public var reason: String

    public init(code: Code, location: ErrorLocation, reason: String) {
        (self.code, self.location, self.reason) = (code, location, reason)
    }

    static func truncated(_ what: String, have: Int, need: Int) -> CaptureError {
        CaptureError(.truncatedHeader, "\(what) truncated: \(have) of \(need) bytes")
    }

    static func malformed(_ reason: String) -> CaptureError {
        CaptureError(.malformedHeader, reason)
    }

    /// A HAR entry that cannot be used (it becomes an anomaly, not a failure).
    static func harEntry(_ reason: String) -> CaptureError {
        CaptureError(.invalidHAREntry, reason)
    }

    /// `file: what`, for a recording that could not be written.
    static func writeFailed(_ file: String, _ what: String) -> CaptureError {
        CaptureError(.writeFailed, "\(file): \(what)", location: ErrorLocation(file: file))
    }
}

extension CaptureError {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: Hashable, Sendable {
            case unsupportedLinkType
            case truncatedHeader
            case malformedHeader
            case cannotOpen
            case notACapture
            case badFilter
            case truncatedFile
            case readError
            case permissionDenied
            case noSuchDevice
            case harTooLarge
            case malformedJSON
            case notHAR
            case invalidHAREntry
            case invalidConfiguration
            case tlsConfiguration
            case bindFailed
            case writeFailed
        }

        fileprivate let base: Base
        private init(_ base: Base) { self.base = base }

        // Packets

        /// The capture's data link type is not one `LinkType` decodes.
        public static let unsupportedLinkType = Code(.unsupportedLinkType)
        /// A header was cut short (usually by the capture's snaplen).
        public static let truncatedHeader = Code(.truncatedHeader)
        /// A header field is impossible (bad version, length below minimum).
        public static let malformedHeader = Code(.malformedHeader)

        // Packet sources

        /// The file or interface could not be opened (missing file, damaged header, interface down).
        public static let cannotOpen = Code(.cannotOpen)
        /// The file is neither pcap nor pcapng.
        public static let notACapture = Code(.notACapture)
        /// The BPF filter expression did not compile or could not be installed.
        public static let badFilter = Code(.badFilter)
        /// The capture file ends in the middle of a packet record.
        public static let truncatedFile = Code(.truncatedFile)
        /// libpcap reported a damaged record or a failed read.
        public static let readError = Code(.readError)
        /// Not allowed to read the file or to capture on the interface.
        public static let permissionDenied = Code(.permissionDenied)
        /// The interface does not exist.
        public static let noSuchDevice = Code(.noSuchDevice)

        // HAR files

        /// Larger than `HARImporter.Limits.maxFileBytes`.
        public static let harTooLarge = Code(.harTooLarge)
        /// Not valid JSON (the reason carries line and column).
        public static let malformedJSON = Code(.malformedJSON)
        /// Valid JSON, but no top-level `log` object with an `entries` array.
        public static let notHAR = Code(.notHAR)
        /// One HAR entry that cannot be imported (it becomes an anomaly).
        public static let invalidHAREntry = Code(.invalidHAREntry)

        // The recording proxy

        /// The proxy's configuration is not usable (ports, limits, upstream).
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A certificate, key or CA file could not be used.
        public static let tlsConfiguration = Code(.tlsConfiguration)
        /// The listening socket could not be bound.
        public static let bindFailed = Code(.bindFailed)

        // Recording files

        /// The recording could not be created, written, synced or renamed into place.
        public static let writeFailed = Code(.writeFailed)

        public var description: String { String(describing: base) }
    }
}
