import Capture
import Export
import Foundation
import TestSupport
import TrafficModel
import XCTest

/// `export har` then `import`: the same sessions, exchanges and messages, at
/// the same absolute times, for the shipped recordings and for every public
/// HAR (imported, exported, imported again: a fixed point).
final class HARExportRoundTripTests: XCTestCase {
    let exporter = HARExporter(creatorVersion: "test")

    func testShippedRecordingsRoundTrip() throws {
        let dir = Corpus.packageRoot + "/recordings"
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }.sorted()
        XCTAssertGreaterThanOrEqual(names.count, 6)
        for name in names {
            let recording = try RecordingCodec.decode(Data(contentsOf: URL(fileURLWithPath: dir + "/" + name)))
            let back = try roundTrip(recording, name: name)
            XCTAssertEqual(Shape(back), Shape(recording), name)
            XCTAssertGreaterThan(Shape(recording).sessions.count, 0, name)
        }
    }

    func testPublicHARsAreAFixedPoint() throws {
        var names = try Corpus.captureNames(endingIn: [".har"])
        let corpus2 = Corpus.captures + "/corpus-2"
        names += ((try? FileManager.default.contentsOfDirectory(atPath: corpus2)) ?? []).filter { $0.hasSuffix(".har") }.sorted().map { "corpus-2/" + $0 }
        XCTAssertGreaterThanOrEqual(names.count, 20, "the shared HARs and corpus-2's")
        var messages = 0, exchanges = 0
        for name in names where name != "mitmproxy_brokenfile.har" {  // not JSON: nothing to export
            let bytes = try Data(contentsOf: URL(fileURLWithPath: Corpus.capture(name)))
            let first = try HARImporter().importHAR(Array(bytes), name: name).recording
            let back = try roundTrip(first, name: name)
            let shape = Shape(first)
            XCTAssertEqual(Shape(back), shape, name)
            messages += shape.sessions.reduce(0) { $0 + $1.messages.count }
            exchanges += shape.sessions.reduce(0) { $0 + $1.exchanges.count }
        }
        XCTAssertGreaterThan(messages, 10, "WebSocket messages went through")
        XCTAssertGreaterThan(exchanges, 50)
    }

    /// What Chrome writes and DevTools reads: the log's members, an entry's
    /// required members, `_webSocketMessages` with binary data in base64.
    func testChromeShape() throws {
        let recording = Recording(
            source: Source(kind: .handWritten, name: "t", tool: "t"), capturedAt: Timestamp(microseconds: 1_764_000_000_000_000),
            sessions: [Session(
                id: "s1", client: Endpoint(host: "10.0.0.1", port: 5000), server: Endpoint(host: "10.0.0.2", port: 8000), start: 0,
                exchanges: [HTTPExchange(
                    request: HTTPRequest(at: 0.001, method: "GET", target: "/ws?room=1", headers: [
                        HeaderField("Host", "api.example:8000"), HeaderField("Upgrade", "websocket"), HeaderField("Connection", "Upgrade"),
                    ]),
                    response: HTTPResponse(at: 0.002, status: 101, reason: "Switching Protocols", headers: [HeaderField("Upgrade", "websocket"), HeaderField("Connection", "Upgrade")])
                )],
                websocket: WebSocketSession(messages: [
                    WebSocketMessage(direction: .client, at: 0.003, opcode: .binary, payload: .binary([0xFF, 0x00, 0x01])),
                    WebSocketMessage(direction: .server, at: 0.004, opcode: .text, payload: .text("hi")),
                    WebSocketMessage(direction: .server, at: 0.005, opcode: .close, payload: .text("bye"), closeCode: 4001),
                ])
            )]
        )
        let log = try XCTUnwrap(exporter.export(recording).document["log"])
        XCTAssertEqual(log["version"]?.stringValue, "1.2")
        XCTAssertEqual(log["creator"]?["name"]?.stringValue, "authreplay")
        let entry = try XCTUnwrap(log["entries"]?.arrayValue?.first)
        for member in ["startedDateTime", "time", "request", "response", "cache", "timings"] { XCTAssertNotNil(entry[member], member) }
        XCTAssertEqual(entry["request"]?["url"]?.stringValue, "ws://api.example:8000/ws?room=1")
        XCTAssertEqual(entry["request"]?["queryString"]?.arrayValue?.first?["value"]?.stringValue, "1")
        XCTAssertEqual(entry["startedDateTime"]?.stringValue, "2025-11-24T16:00:00.000000Z")
        XCTAssertEqual(entry["_resourceType"]?.stringValue, "websocket")
        let frames = try XCTUnwrap(entry["_webSocketMessages"]?.arrayValue)
        XCTAssertEqual(frames.map { $0["type"]?.stringValue }, ["send", "receive", "receive"])
        XCTAssertEqual(frames.map { $0["opcode"]?.intValue }, [2, 1, 8])
        XCTAssertEqual(frames[0]["data"]?.stringValue, "/wAB")
        XCTAssertEqual(frames[0]["time"], .number("1764000000.003000"))
        XCTAssertEqual(frames[2]["code"]?.intValue, 4001)
        XCTAssertEqual(Shape(try roundTrip(recording, name: "t")), Shape(recording))
    }

    func roundTrip(_ recording: Recording, name: String) throws -> Recording {
        try HARImporter().importHAR(exporter.export(recording).bytes, name: name + ".har").recording
    }
}

/// What a HAR can carry of a recording, times absolute (an import starts its
/// clock at the earliest entry): sessions with a request, in start order.
struct Shape: Equatable, CustomStringConvertible {
    struct Message: Equatable {
        var direction: Direction, at: Int64, opcode: WebSocketOpcode, payload: Body, closeCode: Int?
    }
    struct Exchange: Equatable {
        var at: Int64, method: String, target: String, version: String, headers: [HeaderField], body: Body?
        var response: Response?
    }
    struct Response: Equatable {
        var at: Int64, status: Int, reason: String, version: String, headers: [HeaderField], body: Body?
    }
    struct SessionShape: Equatable {
        var server: Endpoint, start: Int64, exchanges: [Exchange], messages: [Message]
    }
    var sessions: [SessionShape]

    init(_ recording: Recording) {
        func abs(_ at: Double) -> Int64 { recording.capturedAt.adding(seconds: at).microseconds }
        func body(_ b: Body?) -> Body? { b.flatMap { $0.count == 0 ? nil : $0 } }
        sessions = recording.sessions.filter { !$0.exchanges.isEmpty }.map { s in
            SessionShape(
                server: s.server, start: abs(min(s.start, s.exchanges[0].request.at)),
                exchanges: s.exchanges.map { e in
                    Exchange(
                        at: abs(e.request.at), method: e.request.method, target: e.request.target, version: e.request.version,
                        headers: e.request.headers, body: body(e.request.body),
                        response: e.response.map { r in
                            Response(at: abs(max(r.at, e.request.at)), status: r.status, reason: r.reason, version: r.version, headers: r.headers, body: body(r.body))
                        })
                },
                messages: (s.websocket?.messages ?? []).map { Message(direction: $0.direction, at: abs($0.at), opcode: $0.opcode, payload: $0.payload, closeCode: $0.closeCode) }
            )
        }.enumerated().sorted { ($0.element.start, $0.offset) < ($1.element.start, $1.offset) }.map(\.element)
    }

    var description: String { "\(sessions.count) sessions: " + sessions.map { "\($0.server) \($0.exchanges.count)x \($0.messages.count)m" }.joined(separator: ", ") }
}
