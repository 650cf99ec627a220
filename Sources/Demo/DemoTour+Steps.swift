import Capture
import ExampleStagingService
import Foundation
import Replay
import TrafficModel

/// How the tour records the client (live capture or the proxy) and replays the recording.
extension DemoTour {
    /// Live capture on `lo` when libpcap may capture (root or CAP_NET_RAW),
    /// the recording proxy otherwise; says which.
    func record(service: StagingService, user: StagingService.User) async throws -> (Recording, [DemoAnswer]) {
        if let source = try? LiveCaptureSource(interface: "lo", filter: "tcp port \(service.port)") {
            say("   recording with live capture on lo (libpcap; the recording proxy is used where capture is not permitted)", .normal)
            return try await recordLive(source, service: service, user: user)
        }
        say("   recording through the proxy (live capture on lo needs root or CAP_NET_RAW)", .normal)
        let proxy = try await RecordingProxy.start(configuration: .init(
            listenHost: "127.0.0.1", listenPort: 0, upstream: UpstreamTarget(scheme: .http, host: service.host, port: service.port)
        ))
        say("   proxy \(proxy.baseURL) → \(service.baseURL)", .normal)
        let answers: [DemoAnswer]
        do {
            answers = try await client(host: proxy.host, port: proxy.port, user: user).run()
        } catch {
            _ = try? await proxy.stop()
            throw error
        }
        return (try await proxy.stop(), answers)
    }

    private func recordLive(_ source: LiveCaptureSource, service: StagingService, user: StagingService.User) async throws -> (Recording, [DemoAnswer]) {
        let capturing = Task.detached { () throws -> (Timestamp?, [Session]) in
            var processor = CaptureProcessor(linkType: source.linkType)
            var sessions: [Session] = []
            while let packet = try source.next() { sessions += processor.process(packet.data, at: packet.timestamp) }
            return (processor.capturedAt, sessions + processor.finish(truncated: false))
        }
        let answers: [DemoAnswer]
        do {
            answers = try await client(host: service.host, port: service.port, user: user).run()
            // Let the connections' last FIN/ACK packets reach the capture.
            try await Task.sleep(for: .milliseconds(300))
        } catch {
            source.stop()
            _ = try? await capturing.value
            throw error
        }
        source.stop()
        let (capturedAt, sessions) = try await capturing.value
        let recording = Recording(
            source: Source(kind: .live, name: "lo", tool: tool),
            capturedAt: capturedAt ?? Timestamp(seconds: Date().timeIntervalSince1970),
            sessions: sessions
        )
        return (AuthAnalyzer().analyze(recording), answers)
    }

    func client(host: String, port: Int, user: StagingService.User) -> DemoClient {
        DemoClient(host: host, port: port, username: user.username, password: user.password, timeout: timeout)
    }

    func replay(_ recording: Recording, name: String, host: String, port: Int) async throws -> ReplayReport {
        let target = ReplayTarget(host: host, port: port)
        let plan = try ReplayPlan.build([ReplayPlan.Input(name: name, recording: recording)], target: target)
        let options = ReplayOptions(target: target, timeout: timeout)
        return await ReplayDriver().run(plan, options: options, now: Date().timeIntervalSince1970)
    }
}
