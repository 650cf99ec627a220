import Foundation
import TestSupport
import TrafficModel
import XCTest

/// A real Linux VXLAN (`ip link add … type vxlan`) between two network
/// namespaces: a login and a WebSocket session carrying the issued JWT,
/// captured at once on the VXLAN device and on the underlay
/// (Tests/Peers/netns/vxlan_mirror.py). Both import to the same sessions;
/// only the underlay's carry `outerPath`. Needs root (namespaces, raw sockets).
final class VXLANNamespaceTests: XCTestCase {
    func ip(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "ip", code: Int(process.terminationStatus), userInfo: [NSLocalizedDescriptionKey: "ip \(arguments.joined(separator: " ")): \(message)"])
        }
    }

    func testRealVXLANRecordsAsThePlainDevice() throws {
        try requireOrSkip(getuid() == 0, "network namespaces need root")
        try requireOrSkip(FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip"), "/usr/sbin/ip (iproute2) is missing")
        let dir = try scratchDirectory("authreplay-vxlan")
        // Names unique to this process: other test runs may share the machine.
        let a = "arvx\(getpid())a", b = "arvx\(getpid())b"
        try ip(["netns", "add", a])
        defer { try? ip(["netns", "del", a]) }
        try ip(["netns", "add", b])
        defer { try? ip(["netns", "del", b]) }
        try ip(["link", "add", "va", "netns", a, "type", "veth", "peer", "name", "vb", "netns", b])
        for (ns, device, underlay, overlay, remote) in [(a, "va", "10.203.0.1", "10.204.0.1", "10.203.0.2"), (b, "vb", "10.203.0.2", "10.204.0.2", "10.203.0.1")] {
            try ip(["-n", ns, "link", "set", "lo", "up"])
            try ip(["-n", ns, "addr", "add", "\(underlay)/24", "dev", device])
            try ip(["-n", ns, "link", "set", device, "up"])
            try ip(["-n", ns, "link", "add", "vx", "type", "vxlan", "id", "42", "remote", remote, "local", underlay, "dstport", "4789", "dev", device])
            try ip(["-n", ns, "addr", "add", "\(overlay)/24", "dev", "vx"])
            try ip(["-n", ns, "link", "set", "vx", "up"])
        }
        let script = CLI.repositoryRoot + "/Tests/Peers/netns/vxlan_mirror.py"
        let peer = Process()
        peer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        peer.arguments = ["python3", script, a, b, "10.204.0.2", dir.path]
        let errors = Pipe()
        peer.standardError = errors
        try peer.run()
        peer.waitUntilExit()
        XCTAssertEqual(peer.terminationStatus, 0, String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))

        var recordings: [String: Recording] = [:]
        for name in ["plain", "vxlan"] {
            let output = dir.appendingPathComponent("\(name).json").path
            let r = try CLI.run(["import", dir.appendingPathComponent("\(name).pcap").path, "--output", output])
            XCTAssertEqual(r.status, 0, r.stderr)
            recordings[name] = try RecordingCodec.decode(try Data(contentsOf: URL(fileURLWithPath: output)))
        }
        let plain = try XCTUnwrap(recordings["plain"]), vxlan = try XCTUnwrap(recordings["vxlan"])
        XCTAssertEqual(plain.sessions.count, 1)
        XCTAssertEqual(plain.sessions.map(\.outerPath), [nil])
        XCTAssertEqual(vxlan.sessions.map(\.outerPath), ["vxlan vni=42"])
        // The two devices stamp packets microseconds apart: compare everything but time.
        func content(_ r: Recording) -> [String] {
            r.sessions.map { s in
                let exchanges = s.exchanges.map { e in "\(e.request.method) \(e.request.target) \(e.request.headers) \(String(describing: e.request.body)) -> \(e.response?.status ?? 0) \(e.response?.headers ?? []) \(String(describing: e.response?.body))" }
                let messages = (s.websocket?.messages ?? []).map { "\($0.direction) \($0.opcode) \($0.payload) \(String(describing: $0.closeCode))" }
                return "\(s.client) \(s.server) \(exchanges) \(messages) \(s.auth.map(\.location)) \(s.anomalies.map(\.kind)) \(String(describing: s.end?.kind))"
            }
        }
        XCTAssertEqual(content(vxlan), content(plain))
        let session = try XCTUnwrap(vxlan.sessions.first)
        XCTAssertEqual(session.server.description, "10.204.0.2:8000")
        XCTAssertEqual(session.exchanges.map(\.request.target), ["/auth/token", "/ws"])
        XCTAssertEqual(session.websocket?.messages.map(\.opcode), [.text, .close, .close])
        XCTAssertEqual(Set(session.auth.map(\.location)), ["body:$.access_token", "header:Authorization"])
    }
}
