import Foundation
import CaptureTesting
import TrafficModel
@testable import Capture

/// The seed's story as a capture the tests build themselves: a login issues a
/// JWT; the WebSocket opened with it gets AUTH_REQUIRED and a 1008 close.
enum CaptureFixtures {
    static let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImlhdCI6MTc2NDA1MDQwMCwiZXhwIjoxNzY0MDU0MDAwfQ.c2lnbmF0dXJlLXBsYWNlaG9sZGVy"
    static let start = Timestamp(seconds: 1_764_050_400)

    static func authRequiredPackets() -> [CapturedPacket] {
        let client: [UInt8] = [10, 20, 0, 5]
        let server: [UInt8] = [10, 20, 0, 9]
        var login = SyntheticConversation(client: (client, 51834), server: (server, 8000), start: start)
        login.open()
        let credentials = #"{"username":"alice","password":"pw"}"#
        login.send(Array("POST /auth/token HTTP/1.1\r\nHost: staging\r\nContent-Type: application/json\r\nContent-Length: \(credentials.utf8.count)\r\n\r\n\(credentials)".utf8), from: .client)
        let answer = #"{"access_token":"\#(jwt)","expires_in":3600}"#
        login.send(Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\(String(answer.utf8.count, radix: 16))\r\n\(answer)\r\n0\r\n\r\n".utf8), from: .server)
        login.close()

        var ws = SyntheticConversation(client: (client, 51836), server: (server, 8000), start: login.clock.adding(seconds: 0.5), mss: 100)
        ws.open()
        ws.send(Array("GET /ws?v=1 HTTP/1.1\r\nHost: staging\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer \(jwt)\r\n\r\n".utf8), from: .client)
        let error = #"{"type":"error_message","error_code":"AUTH_REQUIRED","details":{"environment":"staging","error":"user_context must be a UserExecutionContext instance"},"timestamp":1764050401.2,"recovery_suggestions":null}"#
        // The 101 and the first frame arrive in one segment.
        ws.send(Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n".utf8) + SyntheticWebSocket.frame(.text, Array(error.utf8)), from: .server)
        ws.send(SyntheticWebSocket.close(code: 1008, reason: "auth required"), from: .server)
        ws.send(SyntheticWebSocket.close(code: 1008, reason: "auth required", mask: 0x1234_5678), from: .client)
        ws.close(by: .server)
        return login.packets + ws.packets.map { var p = $0; p.number += login.packets.count; return p }
    }

    static func pcapFile(_ packets: [CapturedPacket]) -> [UInt8] {
        PcapFileWriter.file(linkType: 1, packets: packets)
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("authreplay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }
}
