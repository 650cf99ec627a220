import AsyncHTTPClient
import Capture
import ExampleStagingService
import Foundation
import Replay
import TestSupport
import TrafficModel
import XCTest

/// A recorded outcome that depended on time: a token used after its expiry
/// got a 401, then a new login and a 200. Replayed at once, the chained
/// (fresh) token would get a 200 where the recording had the 401; replay
/// waits until the live token is expired at use as the recorded one was.
final class TimeRelationReplayTests: XCTestCase {
    func testATokenUsedAfterItsExpiryIsReplayedAfterTheLiveTokenExpires() async throws {
        let service = try await StagingService.start(configuration: .init(tokenLifetime: 2))
        let proxy = try await RecordingProxy.start(configuration: RecordingProxy.Configuration(
            listenHost: "127.0.0.1", listenPort: 0, upstream: UpstreamTarget(scheme: .http, host: service.host, port: service.port), tool: "tests"
        ))
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let base = "http://127.0.0.1:\(proxy.port)"
        let user = StagingService.User.alice
        let credentials = #"{"username":"\#(user.username)","password":"\#(user.password)"}"#
        func login() async throws -> String {
            let r = try await Clients.http(client, .POST, "\(base)/auth/token", headers: [("Content-Type", "application/json")], body: credentials)
            return try XCTUnwrap(r.json?["access_token"]?.stringValue)
        }
        func me(_ token: String) async throws -> Int {
            try await Clients.http(client, .GET, "\(base)/api/me", headers: [("Authorization", "Bearer \(token)")]).status
        }
        let first = try await login()
        let fresh = try await me(first)
        XCTAssertEqual(fresh, 200)
        // Past exp by more than a second (exp is whole seconds, so the token lives 1 to 2 s): the recorded relation.
        try await Task.sleep(for: .milliseconds(3300))
        let late = try await me(first)
        XCTAssertEqual(late, 401, "the service refuses the expired token")
        let again = try await me(try await login())
        XCTAssertEqual(again, 200)
        try await client.shutdown()
        let recording = try await proxy.stop()
        XCTAssertTrue(recording.sessions.flatMap(\.auth).contains { ($0.jwt?.expiresIn ?? 0) < 0 && $0.issuedBy != nil }, "the recording shows an issued token used after its expiry")

        let target = ReplayTarget(host: service.host, port: service.port)
        let plan = try ReplayPlan.build([.init(name: "expiry.json", recording: recording)], target: target)
        let started = ContinuousClock.now
        let report = await ReplayDriver().run(plan, options: ReplayOptions(target: target, timeout: 5), now: Date().timeIntervalSince1970)
        try await service.stop()
        XCTAssertEqual(report.failed, 0, report.lines.joined(separator: "\n"))
        XCTAssertTrue(report.results.flatMap(\.notes).contains { $0.contains("so the live token at header:Authorization was expired by") }, report.lines.joined(separator: "\n"))
        XCTAssertGreaterThan(ContinuousClock.now - started, .seconds(1), "it waited for the live token to expire")

        // With the wait capped below what it needs, the fresh token gets the 200 and the session says why.
        var capped = ReplayOptions(target: target, timeout: 5)
        capped.maxWait = 0
        let service2 = try await StagingService.start(configuration: .init(tokenLifetime: 30))
        let target2 = ReplayTarget(host: service2.host, port: service2.port)
        let fast = await ReplayDriver().run(try ReplayPlan.build([.init(name: "expiry.json", recording: recording)], target: target2), options: { var o = capped; o.target = target2; return o }(), now: Date().timeIntervalSince1970)
        try await service2.stop()
        XCTAssertGreaterThan(fast.failed, 0, "sent at once, the expired-token request gets a 200")
        XCTAssertTrue(fast.results.flatMap(\.notes).contains { $0.contains("over --max-wait 0 s") }, fast.lines.joined(separator: "\n"))
    }

    func testPaceParsesAndScalesGaps() {
        XCTAssertEqual(ReplayPace(argument: "fast"), .fast)
        XCTAssertEqual(ReplayPace(argument: "recorded"), .scaled(1))
        XCTAssertEqual(ReplayPace(argument: "0.5"), .scaled(0.5))
        XCTAssertNil(ReplayPace(argument: "-1"))
        XCTAssertNil(ReplayPace(argument: "soon"))
    }
}
