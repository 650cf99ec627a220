import Foundation
import MockStaging
import Replay
import TestSupport
import TrafficModel
import XCTest

/// The two halves agree: replaying a recording against the mock serving the
/// same recording passes.
final class ReplayAgainstMockTests: XCTestCase {
    func replay(_ recording: Recording, name: String) async throws -> ReplayReport {
        let mock = try await MockStagingServer.start(recordings: [recording])
        do {
            let target = try ReplayTarget(url: mock.baseURL)
            let plan = try ReplayPlan.build([.init(name: name, recording: recording)], target: target)
            let report = await ReplayDriver().run(plan, options: ReplayOptions(target: target, timeout: 5), now: Date().timeIntervalSince1970)
            try await mock.stop()
            return report
        } catch {
            try? await mock.stop()
            throw error
        }
    }

    func testStagingRecordingPassesAgainstTheMock() async throws {
        let report = try await replay(StagingRecordings.loginThenWebSocket, name: "staging.json")
        XCTAssertEqual(report.summaryLine, "2 passed, 0 failed", report.lines.joined(separator: "\n"))
    }

    func testShippedAuthRequiredRecordingPassesAgainstTheMock() async throws {
        let path = CLI.repositoryRoot + "/recordings/auth-required.json"
        let recording = try RecordingCodec.decode(try XCTUnwrap(FileManager.default.contents(atPath: path)))
        let report = try await replay(recording, name: "auth-required.json")
        XCTAssertEqual(report.summaryLine, "2 passed, 0 failed", report.lines.joined(separator: "\n"))
    }
}
