@testable import Demo
import ExampleStagingService
import Foundation
import NIOCore
import NIOPosix
import TestSupport
import XCTest

final class DemoClientTests: XCTestCase {
    /// The scripted client (AsyncHTTPClient and WSClient) against the real example
    /// service gives the transcript the demo checks: statuses, message types,
    /// and the server's close codes and reasons.
    func testTheScriptedClientGetsTheAnswersTheDemoExpects() async throws {
        let service = try await StagingService.start(configuration: .init())
        let user = StagingService.User.alice
        let answers: [DemoAnswer]
        do {
            answers = try await DemoClient(host: service.host, port: service.port, username: user.username, password: user.password, timeout: 5).run()
        } catch {
            try? await service.stop()
            throw error
        }
        try await service.stop()

        XCTAssertEqual(DemoChecks.live(answers), [])
        XCTAssertEqual(answers.map(\.step), ["login", "profile"] + Array(repeating: "ws bearer", count: 6) + ["ws no token", "ws no token"])
        let closes = answers.filter { $0.kind == .close }
        XCTAssertEqual(closes.map(\.closeCode), [1000, 1008])
        // The client closed the first WebSocket (the echo has no reason); the service closed the second.
        XCTAssertEqual(closes.map(\.text), ["", "auth required"])
        XCTAssertEqual(answers.first?.contentType?.hasPrefix("application/json"), true)

        XCTAssertNil(DemoChecks.firstMismatch(expected: answers, actual: answers))
        var changed = answers
        changed[changed.count - 1].payload = Array("other".utf8)
        XCTAssertEqual(DemoChecks.firstMismatch(expected: answers, actual: changed)?.hasPrefix("answer \(answers.count) differs"), true)
    }

    /// A server that accepts and never answers: the step fails after the timeout, not later.
    func testAStepEndsAtTheTimeoutWhenTheServerNeverAnswers() async throws {
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { silent.close(promise: nil) }
        let port = try XCTUnwrap(silent.localAddress?.port)

        let started = ContinuousClock.now
        do {
            _ = try await withDeadline(5) {
                try await DemoClient(host: "127.0.0.1", port: port, username: "u", password: "p", timeout: 0.5).run()
            }
            XCTFail("the login against a silent server succeeded")
        } catch let error as DemoClientError {
            XCTAssertTrue(error.description.contains("within 0.5 s"), error.description)
        }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(3))
    }

    /// WSClient waits for the upgrade on a future that cancellation does not end;
    /// `bounded` returns at the timeout all the same.
    func testBoundedReturnsAtTheTimeoutEvenWhenTheWorkIgnoresCancellation() async throws {
        let never = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Int.self)
        defer { never.succeed(0) }
        let started = ContinuousClock.now
        do {
            _ = try await withDeadline(5) { try await bounded(0.3, "waiting") { try await never.futureResult.get() } }
            XCTFail("a future that never completes completed")
        } catch let error as DemoClientError {
            XCTAssertEqual(error.description, "waiting: no complete answer within 0.3 s")
        }
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(3))
    }
}
