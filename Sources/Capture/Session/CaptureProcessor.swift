public import TrafficModel
public import Wire

/// What to keep from a capture, and the limits that bound memory.
public struct CaptureOptions: Sendable {
    /// Keep TCP connections on these ports (either side), whatever they speak.
    /// Empty: keep every connection that speaks HTTP/1.x.
    public var ports: Set<UInt16>
    public var reassembly: TCPReassemblerLimits
    public var http: HTTP1Limits
    public var websocket: WebSocketLimits
    /// Raw bytes kept per direction after a parse failure.
    public var maxRawBytes: Int
    /// Checks JWT signatures when a key was given.
    public var verifier: (any JWTSignatureVerifier)?
    /// Where credentials are (the rules file can name cookies).
    public var locator: CredentialLocator = .default
    /// UDP ports tunnels are decapsulated on (`--vxlan-port`, `--geneve-port`).
    public var decapsulation: DecapsulationPorts = .default
    /// Bounds of IP fragment reassembly (`--fragment-*`).
    public var fragments: IPFragmentLimits = .default
    /// Seconds within which an exact copy of a TCP segment is a mirroring
    /// duplicate, dropped and counted (`--duplicate-window`; 0 keeps every copy).
    public var duplicateWindow: Double = 0.01
    /// TLS secrets (`--keylog`). When set, every connection that starts with a
    /// TLS hello is kept: decrypted and decoded like plaintext where the log
    /// has its keys, else an opaque TLS session with an anomaly naming its
    /// client random. Nil: TLS connections are skipped as before.
    public var tlsSecrets: (any TLSSecretSource)?

    public init(
        ports: Set<UInt16> = [], reassembly: TCPReassemblerLimits = .default, http: HTTP1Limits = .default,
        websocket: WebSocketLimits = .default, maxRawBytes: Int = 64 << 10, verifier: (any JWTSignatureVerifier)? = nil
    ) {
        self.ports = ports
        self.reassembly = reassembly
        self.http = http
        self.websocket = websocket
        self.maxRawBytes = maxRawBytes
        self.verifier = verifier
    }
}

/// Counts for progress lines and the final summary.
public struct CaptureStatistics: Sendable, Equatable {
    public var packets = 0
    public var bytes = 0
    public var tcpSegments = 0
    public var otherPackets = 0
    /// IP fragments read; `reassembledDatagrams` of them were put back together.
    public var ipFragments = 0
    public var reassembledDatagrams = 0
    /// Datagrams given up: inconsistent or overlapping fragments, timeouts, limits.
    public var droppedDatagrams = 0
    /// Why the first datagram was given up, for the summary.
    public var firstFragmentProblem: String?
    /// Exact copies of a segment within the duplicate window (mirroring), dropped.
    public var duplicateSegments = 0
    /// Packets that carried TCP through each layer, indexed like `PacketLayers.names`.
    public var layerPackets: [Int] = Array(repeating: 0, count: PacketLayers.names.count)
    public var undecodablePackets = 0
    public var connections = 0
    /// Connections left out because they did not speak HTTP (and no --port named them).
    public var skippedConnections = 0
    public var sessions = 0
    public var exchanges = 0
    public var messages = 0
    public var anomalies = 0
    /// The first reason a packet could not be decoded, for the summary.
    public var firstDecodeError: String?

    public init() {}
}

/// Packets in, finished sessions out: link/IP/TCP decoding, reassembly,
/// HTTP and WebSocket decoding and auth findings, with no I/O. Sessions are
/// handed back as their connections end, so memory holds only open ones.
public struct CaptureProcessor: Sendable {
    public let linkType: LinkType
    public let options: CaptureOptions
    public internal(set) var statistics = CaptureStatistics()
    /// The first packet's time: the recording's `capturedAt`.
    public private(set) var capturedAt: Timestamp?

    var reassembler: TCPReassembler
    /// Connections not being decoded (yet, or ever), and the kept ones' endpoints.
    private var connections: [ConnectionID: Connection] = [:]
    /// The decoding half (the serial path's; `import --jobs` has one per worker).
    private var decoding = SessionDecoding()
    /// Reassembly's events and routing's steps for the packet being processed;
    /// kept between packets (emptied) so their storage is reused instead of
    /// allocated per packet.
    private var events: [TCPEvent] = []
    private var steps: [DecodingStep] = []
    private var tracker: AuthTracker?
    /// Set by `import --jobs`: each kept connection gets a tracker of its own
    /// that defers links between credentials (`AuthTracker.deferringLinks`).
    var defersLinks = false
    var fragments: IPFragmentReassembler
    var duplicates: DuplicateFilter
    /// The tunnels of each open connection's first segment (absent for plain ones).
    var outerPaths: [ConnectionID: String] = [:]
    /// Datagrams of a connection given up in fragment reassembly, kept until it ends.
    var lostDatagrams: [FlowPair: [Anomaly]] = [:]
    private var nextSessionNumber = 1
    private var packetsSinceFlush = 0

    private enum Connection: Sendable {
        case opened(client: Endpoint, server: Endpoint, midstream: Bool, at: Double)
        case skipped
        /// Kept: its steps go to the decoding half.
        case decoding(client: Endpoint, server: Endpoint)
    }

    public init(linkType: LinkType, options: CaptureOptions = CaptureOptions()) {
        self.linkType = linkType
        self.options = options
        self.reassembler = TCPReassembler(limits: options.reassembly)
        self.fragments = IPFragmentReassembler(limits: options.fragments)
        self.duplicates = DuplicateFilter(window: options.duplicateWindow)
    }

    /// Feeds one captured packet; returns the sessions that ended.
    public mutating func process(_ data: some Collection<UInt8>, at timestamp: Timestamp) -> [Session] {
        var steps: [DecodingStep] = []
        swap(&steps, &self.steps)
        route(data, at: timestamp, into: &steps)
        let finished = decode(steps)
        steps.removeAll(keepingCapacity: true)  // also lets go of the packets' bytes
        swap(&steps, &self.steps)
        return finished
    }

    /// Ends the capture: every open connection is finished (`cut`), marked
    /// `truncated` when the capture ended early.
    public mutating func finish(truncated: Bool) -> [Session] {
        var steps: [DecodingStep] = []
        finishRouting(truncated: truncated, into: &steps)
        return decode(steps)
    }

    /// The routing half of `process`: one packet through decoding, fragment
    /// and TCP reassembly to the steps of the connections kept.
    mutating func route(_ data: some Collection<UInt8>, at timestamp: Timestamp, into steps: inout [DecodingStep]) {
        if capturedAt == nil {
            capturedAt = timestamp
            tracker = AuthTracker(epoch: timestamp.seconds, locator: options.locator, verifier: options.verifier)
        }
        statistics.packets += 1
        statistics.bytes += data.count
        var events: [TCPEvent] = []
        swap(&events, &self.events)
        do {
            try receive(PacketDecoder.decode(Array(data), linkType: linkType, ports: options.decapsulation), at: timestamp, into: &events)
        } catch {
            statistics.undecodablePackets += 1
            if statistics.firstDecodeError == nil { statistics.firstDecodeError = "packet \(statistics.packets): \(error)" }
        }
        packetsSinceFlush += 1
        if packetsSinceFlush >= 1024 {
            packetsSinceFlush = 0
            events += reassembler.flushIdle(now: timestamp)
        }
        route(events, truncated: false, into: &steps)
        events.removeAll(keepingCapacity: true)
        swap(&events, &self.events)
    }

    /// The routing half of `finish`.
    mutating func finishRouting(truncated: Bool, into steps: inout [DecodingStep]) {
        fragments.expire(now: Timestamp(microseconds: .max))
        statistics.droppedDatagrams = fragments.counts.dropped
        route(reassembler.finish(), truncated: truncated, into: &steps)
    }

    func seconds(_ t: Timestamp) -> Double {
        Double(t.microseconds - (capturedAt?.microseconds ?? t.microseconds)) / 1_000_000
    }

    /// Reassembly's events to steps, for the connections kept.
    private mutating func route(_ events: [TCPEvent], truncated: Bool, into steps: inout [DecodingStep]) {
        for event in events {
            switch event {
            case .opened(let id, let client, let server, let midstream, let at):
                statistics.connections += 1
                connections[id] = .opened(client: client, server: server, midstream: midstream, at: seconds(at))
            case .data(let id, let direction, let bytes, let at):
                guard startDecoding(id, firstBytes: bytes, from: direction, into: &steps) else { continue }
                steps.append(.data(id, direction, bytes, at: seconds(at)))
            case .gap(let id, let direction, let count, let at):
                guard startDecoding(id, firstBytes: nil, from: direction, into: &steps) else { continue }
                steps.append(.gap(id, direction, count, at: seconds(at)))
            case .closed(let id, let kind, let by, let at):
                let connection = connections.removeValue(forKey: id)
                let outerPath = outerPaths.removeValue(forKey: id)
                guard case .decoding(let client, let server) = connection else { continue }
                var lost: [Anomaly] = []
                if !lostDatagrams.isEmpty, let dropped = lostDatagrams.removeValue(forKey: FlowPair(client, server)) { lost = dropped }
                let end = ConnectionEnd(
                    kind: kind, by: by, at: seconds(at), captureTruncated: truncated && kind == .cut, outerPath: outerPath, lostDatagrams: lost)
                steps.append(.finish(id, end))
            }
        }
    }

    /// Whether a connection is decoded; its decoder is made (a `start` step)
    /// when its first bytes show what it speaks. False for a connection left out.
    private mutating func startDecoding(
        _ id: ConnectionID, firstBytes: ArraySlice<UInt8>?, from direction: Direction, into steps: inout [DecodingStep]
    ) -> Bool {
        let client: Endpoint, server: Endpoint, midstream: Bool, at: Double
        switch connections[id] {
        case .decoding: return true
        case .skipped, nil: return false
        case .opened(let c, let s, let m, let t): (client, server, midstream, at) = (c, s, m, t)
        }
        let limits = ConnectionDecoder.Limits(http: options.http, websocket: options.websocket, maxRawBytes: options.maxRawBytes)
        var decoder = ConnectionDecoder(id: "s\(nextSessionNumber)", client: client, server: server, start: at, midstream: midstream, limits: limits)
        var decoded = firstBytes.map { decoder.decide(firstBytes: $0, from: direction) } ?? false
        if !decoded, let firstBytes, let secrets = options.tlsSecrets {
            decoded = decoder.startTLS(firstBytes: firstBytes, from: direction, secrets: secrets)
        }
        guard decoded || !options.ports.isEmpty else {
            if firstBytes != nil {
                statistics.skippedConnections += 1
                connections[id] = .skipped
            }
            return false
        }
        nextSessionNumber += 1
        connections[id] = .decoding(client: client, server: server)
        let own = defersLinks ? AuthTracker.deferringLinks(epoch: capturedAt!.seconds, locator: options.locator, verifier: options.verifier) : nil
        steps.append(.start(id, SessionDecoding.DecoderBox(decoder, tracker: own)))
        return true
    }

    /// The serial path's decoding half: steps applied here, sessions counted.
    private mutating func decode(_ steps: [DecodingStep]) -> [Session] {
        var finished: [Session] = []
        var noIssues: [LinkLog.Issued] = []
        for step in steps {
            guard var ended = decoding.apply(step, position: 0, shared: &tracker, issued: &noIssues) else { continue }
            ended.complete(linking: nil)
            let session = ended.session
            statistics.sessions += 1
            statistics.exchanges += session.exchanges.count
            statistics.messages += session.websocket?.messages.count ?? 0
            statistics.anomalies += session.anomalies.count
            finished.append(session)
        }
        return finished
    }
}
