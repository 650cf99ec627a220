import Foundation
import TestSupport
import XCTest

/// `serve` logs a line per request on stderr. A mock whose stderr nobody
/// reads (a job that pipes it and looks only at the end) must keep serving,
/// and still stop on SIGTERM: the lines are written off the event loops.
final class ServeLogTests: XCTestCase {
    /// Sends N requests on one keep-alive connection; prints how many were answered.
    static let client = """
    import http.client, sys, urllib.parse
    url = urllib.parse.urlsplit(sys.argv[1]); n = int(sys.argv[2])
    c = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    answered = 0
    for i in range(n):
        c.request("GET", f"/nothing-recorded/{i}"); r = c.getresponse(); r.read(); answered += 1
    print(answered)
    """

    func testAnUnreadStderrNeitherStallsServingNorStopping() async throws {
        let server = try await ServerProcess.start("authreplay", ["serve", "recordings/login-and-websocket.json", "--port", "0"])
        let base = try XCTUnwrap(server.baseURL)
        // Each unmatched request logs a line of about 200 bytes naming its
        // nearest recorded requests: 2000 of them are 400 KB, six times a
        // pipe's 64 KiB. Written from an event loop, the ~330th would block it.
        let r = try CLI.run(executable: URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", Self.client, base, "2000"], timeout: 120)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.trimmingCharacters(in: CharacterSet.whitespacesAndNewlines), "2000")
        let status = try await server.stop(timeout: 20)
        XCTAssertEqual(status, 0, "serve must stop on SIGTERM with its stderr still unread")
    }
}
