/// A recording: what was captured, from where, and every session in it.
///
/// Time is data: `capturedAt` is the absolute start (UTC), and every `at` in
/// the recording is seconds since then, so a recording replays the same way
/// whenever it is replayed.
public struct Recording: Hashable, Sendable {
    public static let formatName = "authreplay"
    public static let currentVersion = 1
    public static var formatIdentifier: String { "\(formatName)/\(currentVersion)" }

    public var source: Source
    /// Absolute capture start, as microseconds since the Unix epoch.
    public var capturedAt: Timestamp
    public var redaction: RedactionSummary?
    public var sessions: [Session]

    public init(source: Source, capturedAt: Timestamp, redaction: RedactionSummary? = nil, sessions: [Session]) {
        self.source = source
        self.capturedAt = capturedAt
        self.redaction = redaction
        self.sessions = sessions
    }
}

/// Where a recording came from.
public struct Source: Hashable, Sendable {
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        case pcapFile = "pcap-file"
        case live
        case proxy
        case har
        case handWritten = "hand-written"
    }

    public var kind: Kind
    /// The capture file, interface, upstream URL or HAR file.
    public var name: String
    /// The tool and version that wrote the recording.
    public var tool: String

    public init(kind: Kind, name: String, tool: String) {
        self.kind = kind
        self.name = name
        self.tool = tool
    }
}

/// What redaction did to a recording: the rules applied and how often, never
/// the values. `enabled == false` says loudly that secrets may be present.
public struct RedactionSummary: Hashable, Sendable {
    public var enabled: Bool
    /// `Pseudonymizer.keyID` of the key the pseudonyms were made with; nil
    /// for the public default key (and for recordings made before it was kept).
    public var pseudonymKeyID: String?
    /// Rule name → number of values it replaced, sorted by rule name.
    public var counts: [String: Int]

    public init(enabled: Bool, pseudonymKeyID: String? = nil, counts: [String: Int] = [:]) {
        self.enabled = enabled
        self.pseudonymKeyID = pseudonymKeyID
        self.counts = counts
    }
}

/// Microseconds since the Unix epoch (UTC).
public struct Timestamp: Hashable, Comparable, Sendable {
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }
    public init(seconds: Double) { self.microseconds = Int64((seconds * 1_000_000).rounded()) }

    public var seconds: Double { Double(microseconds) / 1_000_000 }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.microseconds < b.microseconds }

    public func adding(seconds offset: Double) -> Timestamp {
        Timestamp(microseconds: microseconds + Int64((offset * 1_000_000).rounded()))
    }
}

/// Which side of a TCP connection sent something.
public enum Direction: String, Hashable, Sendable, CaseIterable {
    case client
    case server

    public var reversed: Direction { self == .client ? .server : .client }
}

/// A TCP endpoint as written in a recording: `10.0.0.1:443`, `[::1]:8080`.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: UInt16

    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    public init?(parsing text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
        } else if host.contains(":") {
            return nil
        }
        guard !host.isEmpty else { return nil }
        self.init(host: host, port: port)
    }
}
