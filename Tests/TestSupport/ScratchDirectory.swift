public import Foundation
public import XCTest

extension XCTestCase {
    /// A new directory under the temporary directory, named `prefix-UUID`,
    /// removed with everything in it when the test ends.
    public func scratchDirectory(_ prefix: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        return directory
    }
}
