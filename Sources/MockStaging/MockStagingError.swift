/// Errors of the mock server, equal on their code.
public struct MockStagingError: Error, Equatable, CustomStringConvertible, Sendable {
    public enum Code: String, Equatable, Sendable {
        case invalidConfiguration = "invalid-configuration"
        case bindFailed = "bind-failed"
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public static func == (a: MockStagingError, b: MockStagingError) -> Bool { a.code == b.code }

    public var description: String { reason }
}
