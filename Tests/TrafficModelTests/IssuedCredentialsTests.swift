@testable import TrafficModel
import XCTest

/// Deferred links (`import --jobs`): per-connection trackers, linked
/// afterwards in capture order, give the findings one tracker gives.
final class IssuedCredentialsTests: XCTestCase {
    private func request(_ token: String, at: Double) -> HTTPRequest {
        HTTPRequest(at: at, method: "GET", target: "/ws", headers: [HeaderField("Authorization", "Bearer \(token)")])
    }

    private func response(issuing token: String, at: Double) -> HTTPResponse {
        HTTPResponse(
            at: at, status: 200, reason: "OK", headers: [HeaderField("Content-Type", "application/json")],
            body: .text("{\"access_token\":\"\(token)\"}"))
    }

    func testDeferredLinksEqualOneTrackersLinks() {
        let token = "opaque-token-0123456789"
        // One tracker, in capture order: presented before the issue (not linked), issued, presented after (linked).
        var one = AuthTracker(epoch: 0)
        let early = one.observe(request: request(token, at: 1), session: "s2", exchange: 0)
        _ = one.observe(response: response(issuing: token, at: 2), session: "s1", exchange: 0)
        let late = one.observe(request: request(token, at: 3), session: "s3", exchange: 0)
        XCTAssertNil(early[0].issuedBy)
        XCTAssertEqual(late[0].issuedBy, IssuedReference(session: "s1", exchange: 0, location: "body:$.access_token"))

        // Three connections apart, in any order, each with its place in the capture.
        var s3 = AuthTracker.deferringLinks(epoch: 0)
        s3.position = 30
        var s3Auth = s3.observe(request: request(token, at: 3), session: "s3", exchange: 0)
        var s1 = AuthTracker.deferringLinks(epoch: 0)
        s1.position = 20
        _ = s1.observe(response: response(issuing: token, at: 2), session: "s1", exchange: 0)
        var s2 = AuthTracker.deferringLinks(epoch: 0)
        s2.position = 10
        var s2Auth = s2.observe(request: request(token, at: 1), session: "s2", exchange: 0)
        XCTAssertNil(s3Auth[0].issuedBy, "nothing is linked before the others are known")

        var issued = IssuedCredentials()
        issued.add(s1.takeIssued())
        XCTAssertTrue(s1.takeIssued().isEmpty, "taken once")
        // A later issue of the same value does not replace the first.
        issued.add([LinkLog.Issued(value: token, order: LinkLog.Order(position: 25, step: 0), reference: IssuedReference(session: "s9", exchange: 0, location: "x"))])
        issued.link(&s3Auth, presented: s3.links!.presented)
        issued.link(&s2Auth, presented: s2.links!.presented)
        XCTAssertEqual(s3Auth, late)
        XCTAssertEqual(s2Auth, early)
    }
}
