import Foundation
import TestSupport
import XCTest

/// What a process printed and how it ended.
struct ProcessOutput: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
    /// Killed at its deadline.
    var timedOut: Bool

    var lines: [String] { stdout.split(separator: "\n").map(String.init) }
}

/// Runs a command to its end on a thread of its own (blocking reads never hold
/// the concurrency pool), killed at `timeout` seconds.
func runToEnd(_ arguments: [String], environment: [String: String] = [:], timeout: Double = 60) async -> ProcessOutput {
    await withCheckedContinuation { continuation in
        let thread = Thread {
            continuation.resume(returning: runBlocking(arguments, environment: environment, timeout: timeout))
        }
        thread.name = "runToEnd \(arguments.first ?? "?")"
        thread.start()
    }
}

private func runBlocking(_ arguments: [String], environment: [String: String], timeout: Double) -> ProcessOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.standardInput = FileHandle.nullDevice
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let exited = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in exited.signal() }
    do { try process.run() } catch {
        return ProcessOutput(status: 127, stdout: "", stderr: "cannot launch \(arguments): \(error)", timedOut: false)
    }
    let collected = Box<(Data, Data)>((Data(), Data()))
    let readers = DispatchGroup()
    for (index, pipe) in [out, err].enumerated() {
        readers.enter()
        DispatchQueue.global().async {
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            collected.update { if index == 0 { $0.0 = data } else { $0.1 = data } }
            readers.leave()
        }
    }
    var timedOut = false
    if exited.wait(timeout: .now() + timeout) == .timedOut {
        timedOut = true
        kill(process.processIdentifier, SIGKILL)
        _ = exited.wait(timeout: .now() + 5)
    }
    _ = readers.wait(timeout: .now() + 5)
    let (stdout, stderr) = collected.value
    return ProcessOutput(
        status: process.isRunning ? -1 : process.terminationStatus,
        stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self), timedOut: timedOut
    )
}

/// One of the peers under Tests/Peers: a service on another stack and a client
/// written with another library than that service.
struct Peer: Sendable {
    var name: String
    /// The service's command, without `--port`.
    var service: [String]
    /// The client's command, without `--base`/`--scenario`.
    var client: [String]
    /// A command that exits 0 when the runtimes and packages both need are installed.
    var probe: [String]
    var install: String

    static let peersDirectory = Corpus.packageRoot + "/Tests/Peers"

    /// aiohttp service, Node `ws` client.
    static let python = Peer(
        name: "python-aiohttp",
        service: ["python3", peersDirectory + "/python/service.py"],
        client: ["node", peersDirectory + "/node/client.js"],
        probe: ["sh", "-c", "python3 -c 'import aiohttp' && node -e \"try { require('ws') } catch (e) { require('/usr/share/nodejs/ws') }\""],
        install: "pip install aiohttp; apt-get install -y node-ws"
    )

    /// Node `ws` service, Python `websockets` client.
    static let node = Peer(
        name: "node-ws",
        service: ["node", peersDirectory + "/node/service.js"],
        client: ["python3", peersDirectory + "/python/client.py"],
        probe: ["sh", "-c", "python3 -c 'import websockets.asyncio.client' && node -e \"try { require('ws') } catch (e) { require('/usr/share/nodejs/ws') }\""],
        install: "pip install websockets; apt-get install -y node-ws"
    )

    /// Starts the service on a free port (`--regression` when asked; `options` appended).
    func startService(regression: Bool = false, options: [String] = []) async throws -> ServerProcess {
        try await ServerProcess.start(
            executable: URL(fileURLWithPath: "/usr/bin/env"),
            ["NODE_PATH=/usr/share/nodejs"] + service + ["--port", "0"] + (regression ? ["--regression"] : []) + options,
            deadline: 15
        )
    }

    /// The client's normalized transcript against `base`: every scenario in
    /// order, or only `scenario`, or only `scenarios`, in their order.
    func transcript(against base: String, scenario: String? = nil, scenarios: [String] = []) async throws -> [String] {
        let named = (scenario.map { [$0] } ?? []) + scenarios
        let output = await runToEnd(
            client + ["--base", base] + named.flatMap { ["--scenario", $0] },
            environment: ["NODE_PATH": "/usr/share/nodejs"], timeout: 90
        )
        guard output.status == 0, !output.timedOut else {
            throw PeerFailure("\(name) client exited \(output.status)\(output.timedOut ? " (timed out)" : ""): \(output.stderr)")
        }
        return output.lines
    }

    func scenarios() async throws -> [String] {
        let output = await runToEnd(client + ["--list"], environment: ["NODE_PATH": "/usr/share/nodejs"], timeout: 30)
        guard output.status == 0 else { throw PeerFailure("\(name) client --list exited \(output.status): \(output.stderr)") }
        return output.lines
    }
}

struct PeerFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The port of a `listening on http://HOST:PORT` server.
func port(of server: ServerProcess) throws -> String {
    guard let url = server.baseURL, let port = url.split(separator: ":").last else {
        throw PeerFailure("no listening line: \(server.firstLine)")
    }
    return String(port)
}
