import CaptureTesting
import Foundation
import TestSupport
import TrafficModel
import XCTest
import Capture

/// `authreplay import` on mirrored traffic: VXLAN on a moved port, the
/// per-layer summary, `--port` seeing through the tunnel.
final class ImportTunnelCommandTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("authreplay-tunnel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    func loginPackets() -> [CapturedPacket] {
        var login = SyntheticConversation(client: ([10, 1, 0, 5], 51000), server: ([10, 1, 0, 9], 8000), start: Timestamp(seconds: 1_764_050_400))
        login.open()
        login.send(Array("POST /login HTTP/1.1\r\nHost: staging\r\nContent-Length: 2\r\n\r\n{}".utf8), from: .client)
        login.send(Array("HTTP/1.1 204 No Content\r\n\r\n".utf8), from: .server)
        login.close()
        return login.packets
    }

    /// `--port` is folded into the kernel filter without hiding what BPF cannot
    /// see into: VXLAN on its default port, fragments after the first.
    func testPortSeesThroughTunnelsAndFragments() throws {
        let captures: [(String, [CapturedPacket])] = [
            ("vxlan", SyntheticTunnel.wrap(loginPackets()) { _, frame in [SyntheticTunnel.vxlan(frame, vni: 1)] }),
            ("fragments", SyntheticTunnel.wrap(loginPackets()) { index, frame in SyntheticTunnel.fragments(frame, size: 24, identification: UInt16(index)) }),
            ("fragmented vxlan", SyntheticTunnel.wrap(loginPackets()) { index, frame in
                SyntheticTunnel.fragments(SyntheticTunnel.vxlan(frame, vni: 1), size: 64, identification: UInt16(index))
            }),
        ]
        for (name, packets) in captures {
            let file = path("\(name).pcap")
            try Data(PcapFileWriter.file(linkType: 1, packets: packets)).write(to: URL(fileURLWithPath: file))
            let r = try CLI.run(["import", file, "--output", path("\(name).json"), "--port", "8000", "--json"])
            XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
            XCTAssertEqual(try JSONParser.parse(r.stdout)["exchanges"]?.intValue, 1, "\(name): \(r.stdout)")
            let other = try CLI.run(["import", file, "--output", path("\(name)-other.json"), "--port", "9999", "--json"])
            XCTAssertEqual(try JSONParser.parse(other.stdout)["sessions"]?.intValue, 0, "\(name): \(other.stdout)")
        }
    }

    /// A login exchange mirrored through VXLAN on Linux's old port 8472.
    func writeCapture() throws -> (path: String, packets: Int) {
        var login = SyntheticConversation(client: ([10, 1, 0, 5], 51000), server: ([10, 1, 0, 9], 8000), start: Timestamp(seconds: 1_764_050_400))
        login.open()
        login.send(Array("POST /login HTTP/1.1\r\nHost: staging\r\nContent-Length: 2\r\n\r\n{}".utf8), from: .client)
        login.send(Array("HTTP/1.1 204 No Content\r\n\r\n".utf8), from: .server)
        login.close()
        let packets = SyntheticTunnel.wrap(login.packets) { _, frame in [SyntheticTunnel.vxlan(frame, vni: 42, port: 8472)] }
        try Data(PcapFileWriter.file(linkType: 1, packets: packets)).write(to: URL(fileURLWithPath: path("vxlan.pcap")))
        return (path("vxlan.pcap"), packets.count)
    }

    func testVXLANPortSummaryAndOuterPath() throws {
        let (capture, count) = try writeCapture()
        let plain = try CLI.run(["import", capture, "--output", path("none.json"), "--json"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertEqual(try JSONParser.parse(plain.stdout)["sessions"]?.intValue, 0, "8472 is not VXLAN unless named")

        let r = try CLI.run(["import", capture, "--output", path("out.json"), "--vxlan-port", "8472", "--port", "8000", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let summary = try JSONParser.parse(r.stdout)
        XCTAssertEqual(summary["sessions"]?.intValue, 1)
        XCTAssertEqual(summary["exchanges"]?.intValue, 1)
        XCTAssertEqual(summary["layers"]?["vxlan"]?.intValue, count)
        XCTAssertEqual(summary["duplicateSegments"]?.intValue, 0)
        let recording = try RecordingCodec.decode(try Data(contentsOf: URL(fileURLWithPath: path("out.json"))))
        XCTAssertEqual(recording.sessions.first?.outerPath, "vxlan vni=42")
        XCTAssertEqual(recording.sessions.first?.server.description, "10.1.0.9:8000")

        let text = try CLI.run(["import", capture, "--output", path("out2.json"), "--vxlan-port", "8472"])
        XCTAssertTrue(text.stdout.contains("layers: vxlan \(count) packets"), text.stdout)
    }

    func testBadDecapsulationOptionsAreUsageErrors() throws {
        let (capture, _) = try writeCapture()
        for options in [["--fragment-timeout", "0"], ["--max-fragment-datagrams", "0"], ["--duplicate-window", "-1"], ["--vxlan-port", "70000"]] {
            let r = try CLI.run(["import", capture, "--output", path("x.json")] + options)
            XCTAssertEqual(r.status, 2, "\(options): \(r.stderr)")
        }
    }
}
