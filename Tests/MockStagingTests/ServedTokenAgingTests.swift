import MockStaging
import TrafficModel
import XCTest

/// A token the mock serves ages in real time from its recorded issuance: a
/// client that uses it at once gets the recorded valid answer, one that
/// waits past its `exp` gets the recorded expired answer, whatever order
/// the recording had them in.
final class ServedTokenAgingTests: XCTestCase {
    /// Issued at 1_764_050_401 (recording start + 1 s), valid for 2 s.
    static let shortLived = TestRecordings.jwt(sub: "alice", exp: 1_764_050_403)

    static func recording() -> Recording {
        func login(_ at: Double) -> HTTPExchange {
            HTTPExchange(
                request: TestRecordings.request(at, "POST", "/auth/token", body: #"{"username":"alice"}"#),
                response: TestRecordings.response(at + 0.01, 200, "OK", headers: [HeaderField("Content-Type", "application/json")], body: #"{"access_token":"\#(shortLived)"}"#)
            )
        }
        func me(_ at: Double, _ status: Int) -> HTTPExchange {
            HTTPExchange(
                request: TestRecordings.request(at, "GET", "/api/me", headers: [HeaderField("Authorization", "Bearer \(shortLived)")]),
                response: TestRecordings.response(at + 0.01, status, status == 200 ? "OK" : "Unauthorized")
            )
        }
        // A use at once (200), then the same token 3 s later (401: expired).
        return Recording(
            source: Source(kind: .handWritten, name: "aging", tool: "tests"), capturedAt: Timestamp(seconds: 1_764_050_400),
            sessions: [
                TestRecordings.session("s1", start: 1, [login(1)]),
                TestRecordings.session("s2", start: 1.5, [me(1.5, 200)]),
                TestRecordings.session("s3", start: 4, [me(4, 401)]),
            ]
        )
    }

    private func status(afterWaiting seconds: Double) -> Int? {
        var matcher = ExchangeMatcher(recordings: [(name: "aging.json", recording: Self.recording())])
        let wall = 2_000_000_000.0  // any wall-clock time: only the time since the mock served the token counts
        guard case .matched(let login) = matcher.match(TestRecordings.request(0, "POST", "/auth/token", body: #"{"username":"alice"}"#), now: wall) else { return nil }
        XCTAssertEqual(login.response.status, 200)
        let me = TestRecordings.request(0, "GET", "/api/me", headers: [HeaderField("Authorization", "Bearer \(Self.shortLived)")])
        guard case .matched(let match) = matcher.match(me, now: wall + seconds) else { return nil }
        return match.response.status
    }

    func testTheServedTokenIsValidAtOnceAndExpiredAfterItsLife() {
        XCTAssertEqual(status(afterWaiting: 0.5), 200)
        XCTAssertEqual(status(afterWaiting: 3), 401, "used after its 2 s life: the recorded expired answer, even alone against a fresh mock")
    }
}
