import ArgumentParser
import Capture

/// Tunnel ports, IP fragment reassembly bounds and the mirroring duplicate
/// window, shared by `import` and `capture`.
struct DecapsulationOptions: ParsableArguments {
    @Option(name: .customLong("vxlan-port"), help: "A UDP port that carries VXLAN (repeatable; default 4789). Linux's old default was 8472.")
    var vxlanPorts: [UInt16] = []

    @Option(name: .customLong("geneve-port"), help: "A UDP port that carries Geneve (repeatable; default 6081).")
    var genevePorts: [UInt16] = []

    @Option(name: .customLong("fragment-timeout"), help: "Seconds of packet time to wait for the rest of a fragmented IP datagram.")
    var fragmentTimeout = IPFragmentLimits.default.timeout

    @Option(name: .customLong("max-fragment-datagrams"), help: "IP datagrams reassembled at once; the oldest is dropped past it.")
    var maxFragmentDatagrams = IPFragmentLimits.default.maxDatagrams

    @Option(name: .customLong("max-fragment-buffer-mib"), help: "IP fragment bytes buffered across all datagrams, in MiB.")
    var maxFragmentBufferMiB = IPFragmentLimits.default.maxBufferedBytes >> 20

    @Option(name: .customLong("duplicate-window"), help: "Seconds within which an exact copy of a TCP segment is a mirroring duplicate, dropped and counted (0 keeps every copy).")
    var duplicateWindow = 0.01

    func validate() throws {
        guard fragmentTimeout > 0 else { throw ValidationError("--fragment-timeout must be positive") }
        guard maxFragmentDatagrams > 0, maxFragmentBufferMiB > 0 else { throw ValidationError("fragment limits must be positive") }
        guard duplicateWindow >= 0 else { throw ValidationError("--duplicate-window must be 0 or more") }
    }

    /// Every UDP port a tunnel is decoded on, sorted, for the BPF fold of `--port`.
    var udpPorts: [UInt16] {
        var ports = DecapsulationPorts.default
        apply(to: &ports)
        return Array(ports.vxlan.union(ports.geneve).union(ports.greInUDP).union(ports.teredo).union(ports.ayiya).union(ports.gtpU)).sorted()
    }

    private func apply(to ports: inout DecapsulationPorts) {
        if !vxlanPorts.isEmpty { ports.vxlan = Set(vxlanPorts) }
        if !genevePorts.isEmpty { ports.geneve = Set(genevePorts) }
    }

    func apply(to options: inout CaptureOptions) {
        apply(to: &options.decapsulation)
        options.fragments = IPFragmentLimits(
            maxDatagrams: maxFragmentDatagrams, maxBufferedBytes: maxFragmentBufferMiB << 20, timeout: fragmentTimeout)
        options.duplicateWindow = duplicateWindow
    }
}
