import TrafficModel
import XCTest

/// Session cookies are credentials, analytics and preference cookies are not
/// (a HAR's `_ga` made the mock refuse a client that did not send it).
final class CookieRulesTests: XCTestCase {
    func testSessionCookiesAreCredentialsAndAnalyticsOnesAreNot() {
        let rules = CookieRules.default
        for (name, value) in [
            ("session", "abc"), ("PHPSESSID", "q1w2e3"), ("JSESSIONID", "x"), ("connect.sid", "s:short"), ("auth_token", "t"),
            ("HSID", "AYQEVnDKrdst"), ("jupyterhub-user-alice", "2|1:0|10:1700000000|29:jupyterhub-user-alice|40:ZmFrZQ=="),
            ("prefs_blob", "4f9c2a7b1e8d3c6a5b0f9e2d"), ("token", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"),
        ] {
            XCTAssertTrue(rules.isCredential(name: name, value: value), "\(name)=\(value)")
        }
        for (name, value) in [
            ("_ga", "GA1.1.1234567890.1700000000"), ("_ga_ABC123", "GS1.1.1700000000.1.0.1700000000.0.0.0"), ("_gid", "GA1.1.987654321.1700000000"),
            ("_fbp", "fb.1.1700000000000.1234567890"), ("lang", "en"), ("theme", "dark"), ("OptanonConsent", "isGpcEnabled=0&datestamp=x"),
            ("sidebar", "collapsed"), ("security", "low"), ("seen_banner", "1"),
        ] {
            XCTAssertFalse(rules.isCredential(name: name, value: value), "\(name)=\(value)")
        }
    }

    func testListedNamesWinOverTheHeuristics() {
        let rules = CookieRules(credentialNames: ["_ga"], ignoredNames: ["session"])
        XCTAssertTrue(rules.isCredential(name: "_GA", value: "GA1.1.1"))
        XCTAssertFalse(rules.isCredential(name: "Session", value: "4f9c2a7b1e8d3c6a5b0f9e2d"))
    }

    func testTheLocatorReportsOnlyCredentialCookies() {
        let request = HTTPRequest(at: 0, method: "GET", target: "/api/me", headers: [
            HeaderField("Cookie", "_ga=GA1.1.1234567890.1700000000; sessionid=q8w7e6r5t4y3u2i1o0p9; lang=en"),
        ])
        XCTAssertEqual(CredentialLocator.default.presented(in: request).map(\.location), ["cookie:sessionid"])
        let response = HTTPResponse(at: 0, status: 200, reason: "OK", headers: [
            HeaderField("Set-Cookie", "_gid=GA1.1.987; Path=/"), HeaderField("Set-Cookie", "sessionid=new123abc456def789ghi; HttpOnly"),
        ])
        XCTAssertEqual(CredentialLocator.default.issued(in: response).map(\.location), ["set-cookie:sessionid"])
    }

    func testTheRulesFileNamesCookies() throws {
        let rules = try RedactionRules.parse(Array(#"{"credentialCookies": ["_ga"], "ignoredCookies": ["sessionid"]}"#.utf8))
        let request = HTTPRequest(at: 0, method: "GET", target: "/", headers: [HeaderField("Cookie", "_ga=GA1.1.1; sessionid=q8w7e6r5t4y3u2i1o0p9")])
        XCTAssertEqual(rules.credentialLocator.presented(in: request).map(\.location), ["cookie:_ga"])
    }
}
