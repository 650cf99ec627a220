import MockStaging
import TrafficModel
import XCTest

/// `serve --exec`'s reading of the journal, pure.
final class JournalSummaryTests: XCTestCase {
    private let recordings: [(name: String, recording: Recording)] = [
        ("a.json", Recording(source: Source(kind: .handWritten, name: "a", tool: "test"), capturedAt: Timestamp(microseconds: 0), sessions: ["s1", "s2", "s3"].map {
            Session(id: $0, client: Endpoint(host: "127.0.0.1", port: 1), server: Endpoint(host: "127.0.0.1", port: 2), start: 0)
        })),
    ]

    private func ref(_ session: String) -> RecordedReference {
        RecordedReference(recording: 0, recordingName: "a.json", session: session, exchange: 0)
    }

    func testCountsAndSessionsUsed() {
        let journal: [JournalEntry] = [
            .served(request: "POST /auth/token", reference: ref("s1"), status: 200, authClass: .absent, serving: 1, repeated: false),
            // The handshake went to s2 first; the client's messages chose s3.
            .served(request: "GET /ws", reference: ref("s2"), status: 101, authClass: .issued, serving: 1, repeated: false),
            .webSocketChosen(reference: ref("s3"), released: ref("s2"), remaining: 1),
            .webSocketMismatch(reference: ref("s3"), differences: ["message: $.content expected \"hello\", got \"bye\""], action: "closed 1008"),
            .unmatched(request: "GET /nope", authClass: .absent, nearMisses: []),
            .exhausted(request: "POST /auth/token", reference: ref("s1"), served: 1),
            .sessionEnded(reference: ref("s3"), how: "closed"),
        ]
        let summary = JournalSummary(journal: journal, recordings: recordings)
        XCTAssertEqual(summary.served, 2)
        XCTAssertEqual(summary.unmatched.count, 2, "unmatched and exhausted both answered unmatched")
        XCTAssertEqual(summary.webSocketMismatches.count, 1)
        XCTAssertEqual(summary.sessions.map(\.served), [1, 0, 1])
        XCTAssertEqual(summary.sessions[2].mismatches.count, 1)
        XCTAssertFalse(summary.sawNoRequest)
        XCTAssertEqual(summary.line, "mock: 2 requests served, 2 unmatched, 1 WebSocket mismatch; 2 of 3 recorded sessions used")

        XCTAssertEqual(summary.exitStatus(commandStatus: 0, allowUnmatched: false), 1)
        XCTAssertEqual(summary.exitStatus(commandStatus: 0, allowUnmatched: true), 0)
        XCTAssertEqual(summary.exitStatus(commandStatus: 22, allowUnmatched: true), 22, "the command's failure wins")

        let xml = summary.junit(allowUnmatched: false).render()
        XCTAssertTrue(xml.contains("<testsuite name=\"authreplay serve\" tests=\"5\" failures=\"3\" errors=\"0\" skipped=\"1\""), xml)
        XCTAssertTrue(xml.contains("name=\"session s2\" time=\"0.000\">\n      <skipped message=\"not used"), xml)
        XCTAssertTrue(xml.contains("name=\"session s3\" time=\"0.000\">\n      <failure message=\"websocket a.json session s3 exchange 0: message: $.content expected &quot;hello&quot;, got &quot;bye&quot; → closed 1008\""), xml)
    }

    func testNoRequestIsAFailureOfItsOwn() {
        let summary = JournalSummary(journal: [], recordings: recordings)
        XCTAssertTrue(summary.sawNoRequest)
        XCTAssertEqual(summary.exitStatus(commandStatus: 0, allowUnmatched: true), 1, "nothing sent fails even when unmatched is allowed")
        let xml = summary.junit(allowUnmatched: true).render()
        XCTAssertTrue(xml.contains("<failure message=\"the command sent no request: did its tests run?\""), xml)
        XCTAssertTrue(xml.contains("skipped=\"3\""), xml)
    }
}
