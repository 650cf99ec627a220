/// Why the recording proxy could not start or stop.
public struct ProxyError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Code: String, Hashable, Sendable {
        case invalidConfiguration = "invalid-configuration"
        case tlsConfiguration = "tls-configuration"
        case bindFailed = "bind-failed"
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { reason }

    public static func == (a: ProxyError, b: ProxyError) -> Bool { a.code == b.code }
}
