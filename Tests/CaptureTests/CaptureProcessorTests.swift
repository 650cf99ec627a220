import Foundation
import TestSupport
import CaptureTesting
import TrafficModel
import XCTest
@testable import Capture

final class CaptureProcessorTests: XCTestCase {
    static let goldenPath: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast()
        return parts.joined(separator: "/") + "/Golden/auth-required.json"
    }()

    func run(_ packets: [CapturedPacket], truncated: Bool = false) -> Recording {
        var processor = CaptureProcessor(linkType: .ethernet)
        var sessions: [Session] = []
        for packet in packets { sessions += processor.process(packet.data, at: packet.timestamp) }
        sessions += processor.finish(truncated: truncated)
        return Recording(source: Source(kind: .pcapFile, name: "auth-required.pcap", tool: "authreplay test"), capturedAt: processor.capturedAt!, sessions: sessions)
    }

    /// The golden recording: regenerate with AUTHREPLAY_UPDATE_GOLDEN=1 and review the diff.
    func testAuthRequiredCaptureMatchesGolden() throws {
        let recording = run(CaptureFixtures.authRequiredPackets())
        let encoded = RecordingCodec.encode(recording)
        if ProcessInfo.processInfo.environment["AUTHREPLAY_UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(atPath: (Self.goldenPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try encoded.write(toFile: Self.goldenPath, atomically: true, encoding: .utf8)
        }
        XCTAssertEqual(encoded, try String(contentsOfFile: Self.goldenPath, encoding: .utf8))
        // And the golden file says what it should.
        XCTAssertEqual(recording.sessions.count, 2)
        let login = recording.sessions[0]
        XCTAssertEqual(login.exchanges[0].response?.framing, .chunked)
        XCTAssertEqual(login.auth.map(\.location), ["body:$.access_token"])
        let ws = recording.sessions[1]
        XCTAssertEqual(ws.exchanges[0].request.target, "/ws?v=1")
        XCTAssertEqual(ws.auth.first?.issuedBy, IssuedReference(session: "s1", exchange: 0, location: "body:$.access_token"))
        XCTAssertEqual(ws.websocket?.messages.map(\.opcode), [.text, .close, .close])
        XCTAssertEqual(ws.websocket?.messages.map(\.direction), [.server, .server, .client])
        XCTAssertEqual(ws.websocket?.close?.code, 1008)
        XCTAssertTrue(ws.websocket?.messages[0].payload.text?.contains("AUTH_REQUIRED") ?? false)
        XCTAssertEqual(ws.end?.kind, .closed)
        XCTAssertEqual(ws.end?.by, .server)
        XCTAssertEqual(ws.anomalies, [])
        // The auth findings are what the whole-recording analyzer derives.
        XCTAssertEqual(AuthAnalyzer().analyze(recording), recording)
    }

    /// Decoders live in copy-on-write boxes: a copy of a processor taken
    /// mid-capture goes on independently, and both end as one run would.
    func testACopiedProcessorKeepsValueSemantics() {
        let packets = CaptureFixtures.authRequiredPackets()
        var first = CaptureProcessor(linkType: .ethernet)
        var firstSessions: [Session] = []
        let half = packets.count / 2
        for packet in packets[..<half] { firstSessions += first.process(packet.data, at: packet.timestamp) }
        var second = first
        var secondSessions = firstSessions
        for packet in packets[half...] { firstSessions += first.process(packet.data, at: packet.timestamp) }
        firstSessions += first.finish(truncated: false)
        XCTAssertEqual(first.statistics.sessions, 2)
        // The copy has not seen the second half yet, whatever the original did since.
        secondSessions += second.finish(truncated: true)
        XCTAssertNotEqual(secondSessions, firstSessions)
        var third = CaptureProcessor(linkType: .ethernet)
        var thirdSessions: [Session] = []
        for packet in packets[..<half] { thirdSessions += third.process(packet.data, at: packet.timestamp) }
        thirdSessions += third.finish(truncated: true)
        XCTAssertEqual(secondSessions, thirdSessions)
        XCTAssertEqual(firstSessions, run(packets).sessions)
    }

    func testPacketOrderWithinAWindowDoesNotChangeTheRecording() {
        let packets = CaptureFixtures.authRequiredPackets()
        var rng = SplitMix64(seed: 3)
        let expected = run(packets)
        for _ in 0..<20 {
            // Swap neighbouring packets (keeping timestamps in order).
            var shuffled = packets
            for i in stride(from: 0, to: shuffled.count - 1, by: 2) where Bool.random(using: &rng) {
                let t0 = shuffled[i].timestamp
                let t1 = shuffled[i + 1].timestamp
                shuffled.swapAt(i, i + 1)
                shuffled[i].timestamp = t0
                shuffled[i + 1].timestamp = t1
            }
            let recording = run(shuffled)
            XCTAssertEqual(recording.sessions.map(\.exchanges.count), expected.sessions.map(\.exchanges.count))
            XCTAssertEqual(recording.sessions.map { $0.websocket?.messages.map(\.payload) }, expected.sessions.map { $0.websocket?.messages.map(\.payload) })
        }
    }

    func testTruncatedCaptureKeepsEarlierSessionsAndMarksTheOpenOne() {
        let packets = CaptureFixtures.authRequiredPackets()
        // Cut in the middle of the WebSocket connection.
        let cut = packets.count - 6
        let recording = run(Array(packets[..<cut]), truncated: true)
        XCTAssertEqual(recording.sessions.count, 2)
        XCTAssertEqual(recording.sessions[0].end?.kind, .closed)
        XCTAssertEqual(recording.sessions[0].anomalies, [])
        XCTAssertEqual(recording.sessions[1].end?.kind, .cut)
        XCTAssertTrue(recording.sessions[1].anomalies.contains { $0.kind == .truncated })
    }

    func testNonHTTPConnectionsAreLeftOutUnlessAPortIsNamed() {
        var c = SyntheticConversation(client: ([1, 1, 1, 1], 4000), server: ([2, 2, 2, 2], 6379), start: CaptureFixtures.start)
        c.open()
        c.send(Array("*1\r\n$4\r\nPING\r\n".utf8), from: .client)
        c.close()
        var processor = CaptureProcessor(linkType: .ethernet)
        var sessions: [Session] = []
        for p in c.packets { sessions += processor.process(p.data, at: p.timestamp) }
        sessions += processor.finish(truncated: false)
        XCTAssertEqual(sessions.count, 0)
        XCTAssertEqual(processor.statistics.skippedConnections, 1)

        var named = CaptureProcessor(linkType: .ethernet, options: CaptureOptions(ports: [6379]))
        sessions = []
        for p in c.packets { sessions += named.process(p.data, at: p.timestamp) }
        sessions += named.finish(truncated: false)
        XCTAssertEqual(sessions.count, 1)
        XCTAssertEqual(sessions[0].anomalies.map(\.kind), [.malformedHTTP])
        XCTAssertEqual(sessions[0].anomalies[0].data, .text("*1\r\n$4\r\nPING\r\n"))
    }

    func testMidstreamWebSocketIsDecodedWithDirectionFromTheMask() {
        var c = SyntheticConversation(client: ([1, 1, 1, 1], 4000), server: ([2, 2, 2, 2], 12345), start: CaptureFixtures.start)
        // No handshake captured: the server speaks first.
        c.send(SyntheticWebSocket.frame(.text, Array("hello".utf8)), from: .server)
        c.send(SyntheticWebSocket.frame(.text, Array("hi".utf8), mask: 7), from: .client)
        let recording = run(c.packets)
        XCTAssertEqual(recording.sessions.count, 1)
        let s = recording.sessions[0]
        XCTAssertEqual(s.server.port, 12345)
        XCTAssertEqual(s.websocket?.messages.map(\.direction), [.server, .client])
        XCTAssertEqual(s.websocket?.messages.map(\.payload), [.text("hello"), .text("hi")])
        XCTAssertTrue(s.anomalies.contains { $0.kind == .midstream })
    }
}


final class GapResynchronizationTests: XCTestCase {
    /// A segment lost inside the second response: that response is given up,
    /// the third is still recorded, and the gap and the loss are anomalies.
    func testResponsesAfterAServerGapAreStillRecorded() {
        var c = SyntheticConversation(client: ([1, 1, 1, 1], 4000), server: ([2, 2, 2, 2], 80), start: CaptureFixtures.start, mss: 40)
        c.open()
        c.send(Array("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n".utf8), from: .client)
        c.send(Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirstHTTP/1.1 200 OK\r\nContent-Length: 60\r\n\r\n".utf8) + Array(repeating: UInt8(ascii: "x"), count: 60), from: .server)
        let beforeThird = c.packets.count
        c.send(Array("HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\n\r\nthird".utf8), from: .server)
        c.close()
        // Drop one server data segment inside the second response's body.
        var packets = c.packets
        let serverData = packets.indices.filter { i in i < beforeThird && packets[i].data.count > 54 && packets[i].data[34...35] == [0, 80] }
        packets.remove(at: serverData[serverData.count - 2])
        var processor = CaptureProcessor(linkType: .ethernet)
        var sessions: [Session] = []
        for p in packets { sessions += processor.process(p.data, at: p.timestamp) }
        sessions += processor.finish(truncated: false)
        XCTAssertEqual(sessions.count, 1)
        let s = sessions[0]
        XCTAssertEqual(s.exchanges.map(\.request.target), ["/1", "/2", "/3"])
        XCTAssertEqual(s.exchanges.map { $0.response?.status }, [200, nil, 404])
        XCTAssertEqual(s.exchanges[2].response?.body, .text("third"))
        XCTAssertEqual(s.anomalies.map(\.kind), [.gap, .malformedHTTP])
        XCTAssertTrue(s.anomalies[1].detail.contains("the response to request 1 is lost"), s.anomalies[1].detail)
    }
}
