import Foundation
import TestSupport
import XCTest
import TrafficModel
@testable import Wire

/// The parser on real traffic from ../shared/captures (skipped where the
/// folder is absent, failed under CI=true). The tiny pcap reader and in-order stream joiner below
/// serve this test only; the real ones live in the Capture module.
final class HTTP1ParserCaptureTests: XCTestCase {
    struct ConnectionResult {
        var requests: [HTTP1Message] = []
        /// Requests cut by the end of the stream (`.incompleteMessage`).
        var incompleteRequests: [HTTP1Message] = []
        var responses: [HTTP1Message] = []
        var requestError: WireError?
        var responseError: WireError?
        var responseStatus: HTTP1Parser.Status = .parsing
        var afterSwitch: [UInt8] = []
    }

    func testWebSocketUpgradesInCaptures() throws {
        for name in ["zeek_ws_broker-websocket.pcap", "zeek_ws_fragmented-http-reply.pcap", "zeek_ws_reply-ping-coalesced.pcap", "zeek_ws_wstunnel-http.pcap", "suricata_websocket_basic.pcap"] {
            let results = try parseCapture(name)
            XCTAssertFalse(results.isEmpty, name)
            for result in results {
                XCTAssertNil(result.requestError, "\(name): \(String(describing: result.requestError))")
                XCTAssertNil(result.responseError, "\(name): \(String(describing: result.responseError))")
                XCTAssertEqual(result.requests.map(\.method), ["GET"], name)
                XCTAssertEqual(result.responses.map(\.status), [101], name)
                XCTAssertEqual(result.responseStatus, .switchedProtocols, name)
                XCTAssertTrue(result.requests.first?.headers.contains { $0.name.lowercased() == "upgrade" } ?? false, name)
            }
        }
        // The server's ping shares the 101's segment: it must come back as WebSocket bytes.
        let coalesced = try parseCapture("zeek_ws_reply-ping-coalesced.pcap")
        XCTAssertEqual(coalesced.first?.afterSwitch.first.map { $0 & 0x0F }, 0x9, "a ping frame follows the 101")
    }

    func testHeadChunkedAndContinueCaptures() throws {
        // A smuggling probe: `Transfer-Encoding: ,<TAB>chunked,` next to
        // `Content-Length: 0`. Empty list elements do not count (RFC 9110
        // §5.6.1), so the body is chunked and never ends.
        let probe = try parseCapture("suricata_http-chunked.pcap")
        XCTAssertEqual(probe.count, 1)
        XCTAssertNil(probe.first?.requestError)
        XCTAssertEqual(probe.first?.requests.count, 0)
        XCTAssertEqual(probe.first?.incompleteRequests.map(\.method), ["HEAD"])
        XCTAssertEqual(probe.first?.incompleteRequests.map(\.framing), [.chunked])

        let continued = try parseCapture("zeek_http_100-continue.pcap")
        XCTAssertEqual(continued.count, 1)
        XCTAssertNil(continued.first?.requestError)
        XCTAssertNil(continued.first?.responseError)
        XCTAssertEqual(continued.first?.requests.map(\.method), ["POST"])
        XCTAssertEqual(continued.first?.responses.map(\.status), [100, 200])
        XCTAssertEqual(continued.first?.responses.last?.framing, .chunked)
        XCTAssertFalse(continued.first?.responses.last?.body.isEmpty ?? true)

        // Docker's non-WebSocket "Upgrade: tcp": 101, then a raw stream.
        let docker = try parseCapture("zeek_http_docker-upgrade-tcp.pcap")
        XCTAssertTrue(docker.contains { $0.responses.last?.status == 101 && $0.responseStatus == .switchedProtocols }, "a 101 to Upgrade: tcp")
        for result in docker {
            XCTAssertNil(result.responseError)
            XCTAssertNil(result.requestError)
        }
    }

    /// Every Ethernet capture of HTTP: the parser never crashes, and most
    /// connections parse without error (some captures are broken on purpose).
    func testAllEthernetCapturesParse() throws {
        let names = try Corpus.captureNames(endingIn: [".pcap"])
        var connections = 0
        var clean = 0
        var messages = 0
        for name in names {
            // Only little-endian Ethernet pcaps are read here (`NotEthernet` for the rest).
            guard let results = try? parseCapture(name) else { continue }
            for result in results {
                connections += 1
                messages += result.requests.count + result.responses.count
                if result.requestError == nil && result.responseError == nil { clean += 1 }
            }
        }
        XCTAssertGreaterThan(connections, 20)
        XCTAssertGreaterThan(messages, 40)
        XCTAssertGreaterThanOrEqual(Double(clean), Double(connections) * 0.8, "\(clean) of \(connections) connections parsed cleanly")
    }

    // MARK: - A minimal pcap reader for these tests

    /// A capture this minimal reader does not read: a failure where a test names
    /// it, passed over by the test that walks the whole folder.
    struct NotEthernet: Error, CustomStringConvertible {
        var name: String
        var description: String { "\(name) is not a little-endian Ethernet pcap" }
    }

    struct Segment {
        var seq: UInt32
        var payload: [UInt8]
    }

    /// Parses the HTTP connections of an Ethernet pcap: each TCP connection's
    /// two directions joined in sequence order (stopping at a gap), the side
    /// whose bytes start like a request taken as the client.
    func parseCapture(_ name: String) throws -> [ConnectionResult] {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: try Corpus.requireCapture(name))))
        func u32(_ at: Int) -> UInt32 { UInt32(data[at]) | UInt32(data[at + 1]) << 8 | UInt32(data[at + 2]) << 16 | UInt32(data[at + 3]) << 24 }
        func be16(_ at: Int) -> Int { Int(data[at]) << 8 | Int(data[at + 1]) }
        func be32(_ at: Int) -> UInt32 { UInt32(be16(at)) << 16 | UInt32(be16(at + 2)) }
        guard data.count >= 24, [0xA1B2_C3D4, 0xA1B2_3C4D].contains(u32(0)), u32(20) == 1 else {
            throw NotEthernet(name: name)
        }
        var flows: [String: [Segment]] = [:]
        var order: [String] = []
        var offset = 24
        while offset + 16 <= data.count {
            let captured = Int(u32(offset + 8))
            let frame = offset + 16
            offset = frame + captured
            guard offset <= data.count, captured > 14 else { break }
            var ip = frame + 14
            var etherType = be16(frame + 12)
            if etherType == 0x8100 { etherType = be16(frame + 16); ip += 4 }
            var tcp: Int
            var end: Int
            var addresses: [UInt8]
            if etherType == 0x0800 {
                guard data[ip + 9] == 6 else { continue }
                tcp = ip + Int(data[ip] & 0x0F) * 4
                end = min(ip + be16(ip + 2), frame + captured)
                addresses = Array(data[(ip + 12)..<(ip + 20)])
            } else if etherType == 0x86DD {
                guard data[ip + 6] == 6 else { continue }
                tcp = ip + 40
                end = min(tcp + be16(ip + 4), frame + captured)
                addresses = Array(data[(ip + 8)..<(ip + 40)])
            } else {
                continue
            }
            let srcPort = be16(tcp)
            let dstPort = be16(tcp + 2)
            let half = addresses.count / 2
            let key = "\(addresses[..<half]):\(srcPort)>\(addresses[half...]):\(dstPort)"
            let payloadStart = tcp + Int(data[tcp + 12] >> 4) * 4
            if flows[key] == nil {
                flows[key] = []
                order.append(key)
            }
            if payloadStart < end {
                flows[key]!.append(Segment(seq: be32(tcp + 4), payload: Array(data[payloadStart..<end])))
            }
        }
        func join(_ segments: [Segment]) -> [UInt8] {
            guard let first = segments.min(by: { $0.seq < $1.seq }) else { return [] }
            var stream: [UInt8] = []
            var next = first.seq
            for segment in segments.sorted(by: { $0.seq < $1.seq }) {
                let skip = Int(next &- segment.seq)
                if segment.seq &- next != 0 && skip > segment.payload.count { continue }  // duplicate
                guard skip >= 0 && skip <= segment.payload.count else { break }  // gap
                stream += segment.payload[skip...]
                next = segment.seq &+ UInt32(segment.payload.count)
            }
            return stream
        }
        var results: [ConnectionResult] = []
        var seen: Set<String> = []
        for key in order where !seen.contains(key) {
            let parts = key.split(separator: ">").map(String.init)
            let reverse = "\(parts[1])>\(parts[0])"
            seen.insert(key)
            seen.insert(reverse)
            var a = join(flows[key] ?? [])
            var b = join(flows[reverse] ?? [])
            if !Self.looksLikeRequest(a) { swap(&a, &b) }
            guard Self.looksLikeRequest(a) else { continue }
            results.append(parseConnection(client: a, server: b))
        }
        return results
    }

    static func looksLikeRequest(_ bytes: [UInt8]) -> Bool {
        ["GET ", "POST ", "PUT ", "HEAD ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "PROPFIND "].contains { bytes.starts(with: Array($0.utf8)) }
    }

    /// Requests first (capture order is not kept here), then responses.
    func parseConnection(client: [UInt8], server: [UInt8]) -> ConnectionResult {
        var result = ConnectionResult()
        var requests = HTTP1Parser(role: .request)
        var responses = HTTP1Parser(role: .response)
        requests.append(client)
        do {
            // All bytes are in: finish() parses like next() and ends the stream.
            // An upgrade request is followed by the client's new-protocol
            // bytes, so stop there (the response side decides).
            while let event = try requests.finish() {
                switch event {
                case .message(let m): result.requests.append(m)
                case .incompleteMessage(let m): result.incompleteRequests.append(m)
                }
            }
        } catch {
            result.requestError = error
        }
        for request in result.requests { responses.enqueueRequestMethod(request.method ?? "GET") }
        responses.append(server)
        do {
            while let event = try responses.finish() {
                if case .message(let m) = event { result.responses.append(m) }
            }
        } catch {
            result.responseError = error
        }
        result.responseStatus = responses.status
        result.afterSwitch = responses.takeRemainingBytes()
        return result
    }
}
