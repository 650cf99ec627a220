import Foundation
import TestSupport
import XCTest

/// `authreplay variants` on a credential sent inside the first WebSocket
/// message (`{"type":"auth","token":…}`), against the aiohttp peer service,
/// which judges that message: each variant gets the service's own refusal.
final class MessageVariantsTests: XCTestCase {
    static let token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImlzcyI6InBlZXItcHl0aG9uIiwiaWF0IjoxNzY0MDUwNDAwLCJleHAiOjE3NjQwNTA0MDIsImp0aSI6IjhmMTRlNDVmLWNlZWEtNDY3Zi1hMGU2LTFiMmMzZDRlNWY2MCJ9.AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"

    /// A login, then a WebSocket authenticated by its first message (hand-written in the recording format).
    static let recording = """
    {"format":"authreplay/1","source":{"kind":"hand-written","name":"first-message auth","tool":"tests"},
     "capturedAt":"2026-11-25T06:00:00.000000Z","sessions":[
      {"id":"s1","client":"127.0.0.1:50001","server":"127.0.0.1:8000","start":0.0,"exchanges":[
        {"request":{"at":0.001,"method":"POST","target":"/auth/token","version":"HTTP/1.1",
          "headers":[["Host","127.0.0.1:8000"],["Content-Type","application/json"],["Content-Length","62"]],
          "body":{"text":"{\\"username\\":\\"alice\\",\\"password\\":\\"correct horse battery staple\\"}"},"framing":"content-length"},
         "response":{"at":0.002,"version":"HTTP/1.1","status":200,"reason":"OK",
          "headers":[["Content-Type","application/json; charset=utf-8"],["Content-Length","\(31 + token.count)"]],
          "body":{"text":"{\\"access_token\\":\\"\(token)\\",\\"expires_in\\":2}"},"framing":"content-length"}}],
       "end":{"kind":"closed","at":0.003,"by":"client"}},
      {"id":"s2","client":"127.0.0.1:50002","server":"127.0.0.1:8000","start":0.004,"exchanges":[
        {"request":{"at":0.005,"method":"GET","target":"/ws","version":"HTTP/1.1",
          "headers":[["Host","127.0.0.1:8000"],["Upgrade","websocket"],["Connection","Upgrade"],
                     ["Sec-WebSocket-Key","dGhlIHNhbXBsZSBub25jZQ=="],["Sec-WebSocket-Version","13"]]},
         "response":{"at":0.006,"version":"HTTP/1.1","status":101,"reason":"Switching Protocols",
          "headers":[["Upgrade","websocket"],["Connection","Upgrade"],["Sec-WebSocket-Accept","s3pPLMBiTxaQ9kYGzzhZRbK+xOo="]]}}],
       "websocket":{"messages":[
         {"direction":"client","at":0.007,"opcode":"text","text":"{\\"type\\":\\"auth\\",\\"token\\":\\"\(token)\\"}"},
         {"direction":"server","at":0.008,"opcode":"text","text":"{\\"type\\":\\"auth_ok\\",\\"user\\":\\"alice\\",\\"via\\":\\"message\\"}"},
         {"direction":"client","at":0.009,"opcode":"close","code":1000,"reason":""},
         {"direction":"server","at":0.010,"opcode":"close","code":1000,"reason":""}]},
       "end":{"kind":"closed","at":0.011,"by":"server"}}]}
    """

    func testEachVariantOfTheAuthMessageGetsTheServiceRefusal() async throws {
        let probe = await runToEnd(Peer.python.probe, timeout: 30)
        try requireOrSkip(probe.status == 0, "the aiohttp peer needs python3 with aiohttp: \(probe.stderr)")
        guard let authreplay = ServerProcess.executable("authreplay") else {
            throw missingRequirement("the authreplay executable is not built next to the tests")
        }
        let directory = try scratchDirectory("authreplay-message-variants")
        let input = directory.appendingPathComponent("first-message.json").path
        try Data(Self.recording.utf8).write(to: URL(fileURLWithPath: input))

        let service = try await Peer.python.startService()
        let base = try XCTUnwrap(service.baseURL)
        let output = await runToEnd([
            authreplay.path, "variants", input, "--target", base, "--resign-jwt", "HS256:peer-staging-secret-0123456789abcdef",
            "--variant", "expired", "--variant", "bad-signature", "--variant", "missing", "--variant", "malformed",
            "--output-dir", directory.appendingPathComponent("fixtures").path, "--json",
        ], timeout: 120)
        _ = try await service.stop()
        XCTAssertEqual(output.status, 0, output.stdout + output.stderr)
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [[String: Any]])
        let message = rows.filter { $0["credential"] as? String == "message:$.token" }
        XCTAssertEqual(message.map { $0["variant"] as? String }, ["as recorded", "expired", "bad-signature", "missing", "malformed"], output.stdout)
        XCTAssertNil(message[0]["errorCode"] as? String, "the live token, chained into the message, is accepted")
        for row in message.dropFirst() {
            XCTAssertEqual(row["errorCode"] as? String, "AUTH_REQUIRED", "\(row)")
            XCTAssertEqual(row["close"] as? Int, 4401, "\(row)")
        }
        // The service's own reason, per variant, is in each fixture.
        for (variant, why) in [("expired", "token expired"), ("bad-signature", "bad signature"), ("missing", "missing token"), ("malformed", "malformed token")] {
            let path = directory.appendingPathComponent("fixtures/s2-\(variant).json").path
            let text = String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: path), variant), as: UTF8.self)
            XCTAssertTrue(text.contains(why), "\(variant): \(text.prefix(2000))")
            XCTAssertFalse(text.contains("correct horse battery staple"), "redacted")
        }
    }
}
