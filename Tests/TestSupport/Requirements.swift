import Foundation
import XCTest

/// Whether the tests run in CI (`CI=true`), where nothing a test needs may be missing.
public var runningInCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

/// A test needed something the machine does not have (a corpus file, a tool,
/// root, a built executable) and runs in CI, where that is a failure.
public struct MissingRequirement: Error, CustomStringConvertible {
    public var message: String
    public var description: String { "CI=true and a requirement is missing: \(message)" }
}

/// What to throw when a test cannot run here: `XCTSkip` on a developer's
/// machine; under `CI=true` a recorded failure and a `MissingRequirement`, so
/// that CI never reports a silent skip as a pass.
public func missingRequirement(_ message: String, file: StaticString = #filePath, line: UInt = #line) -> any Error {
    guard runningInCI else { return XCTSkip(message, file: file, line: line) }
    XCTFail("CI=true: \(message)", file: file, line: line)
    return MissingRequirement(message: message)
}

/// Continues when `condition` holds; otherwise skips the test, or fails it under `CI=true`.
public func requireOrSkip(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #filePath, line: UInt = #line) throws {
    guard condition else { throw missingRequirement(message(), file: file, line: line) }
}
