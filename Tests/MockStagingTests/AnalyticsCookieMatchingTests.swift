import MockStaging
import TrafficModel
import XCTest

/// A browser's analytics cookies are not credentials: a client without them
/// (or with other values) gets the recorded answer; a missing session
/// cookie is still a different auth class.
final class AnalyticsCookieMatchingTests: XCTestCase {
    static let session = "sessionid=q8w7e6r5t4y3u2i1o0p9"

    static func recording() -> Recording {
        let me = HTTPExchange(
            request: TestRecordings.request(1, "GET", "/api/me", headers: [
                HeaderField("Cookie", "_ga=GA1.1.1234567890.1700000000; _gid=GA1.1.55.1700000000; \(session); lang=en"),
            ]),
            response: TestRecordings.response(1.01, 200, "OK", headers: [HeaderField("Content-Type", "application/json")], body: #"{"user":"alice"}"#)
        )
        let anonymous = HTTPExchange(
            request: TestRecordings.request(2, "GET", "/api/me", headers: [HeaderField("Cookie", "_ga=GA1.1.1234567890.1700000000")]),
            response: TestRecordings.response(2.01, 401, "Unauthorized", headers: [HeaderField("Content-Type", "application/json")], body: #"{"error":"login required"}"#)
        )
        return Recording(
            source: Source(kind: .har, name: "browser.har", tool: "tests"), capturedAt: Timestamp(seconds: 1_764_050_400),
            sessions: [TestRecordings.session("s1", start: 1, [me]), TestRecordings.session("s2", start: 2, [anonymous])]
        )
    }

    private func status(_ cookie: String?) -> Int? {
        var matcher = ExchangeMatcher(recordings: [(name: "browser.har", recording: Self.recording())])
        let request = TestRecordings.request(0, "GET", "/api/me", headers: cookie.map { [HeaderField("Cookie", $0)] } ?? [])
        guard case .matched(let match) = matcher.match(request, now: 0) else { return nil }
        return match.response.status
    }

    func testTheSessionCookieDecidesNotTheAnalyticsOnes() {
        XCTAssertEqual(status(Self.session), 200, "no _ga, no lang: still the logged-in answer")
        XCTAssertEqual(status("_ga=GA1.1.999.1800000000; \(Self.session)"), 200)
        XCTAssertEqual(status(nil), 401, "no session cookie: the recorded anonymous answer")
        XCTAssertEqual(status("_ga=GA1.1.999.1800000000; theme=dark"), 401)
    }
}
