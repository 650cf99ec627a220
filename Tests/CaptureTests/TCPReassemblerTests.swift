import TestSupport
import TrafficModel
import Wire
import XCTest
@testable import Capture


/// Everything the reassembler said, checked for the per-connection invariants as it arrives.
struct Transcript {
    var opened: [ConnectionID: (client: Endpoint, server: Endpoint, midstream: Bool)] = [:]
    var order: [ConnectionID] = []
    var streams: [ConnectionID: [Direction: [UInt8]]] = [:]
    var gaps: [(ConnectionID, Direction, Int)] = []
    var closed: [ConnectionID: (kind: TCPCloseKind, by: Direction?)] = [:]

    mutating func add(_ events: [TCPEvent], file: StaticString = #filePath, line: UInt = #line) {
        for event in events {
            switch event {
            case .opened(let id, let client, let server, let midstream, _):
                XCTAssertNil(opened[id], "opened twice", file: file, line: line)
                opened[id] = (client, server, midstream)
                order.append(id)
            case .data(let id, let direction, let bytes, _):
                checkOpen(id, file: file, line: line)
                XCTAssertFalse(bytes.isEmpty, file: file, line: line)
                streams[id, default: [:]][direction, default: []] += bytes
            case .gap(let id, let direction, let count, _):
                checkOpen(id, file: file, line: line)
                XCTAssertGreaterThan(count, 0, file: file, line: line)
                gaps.append((id, direction, count))
                streams[id, default: [:]][direction, default: []] += [UInt8](repeating: 0, count: count)
            case .closed(let id, let kind, let by, _):
                checkOpen(id, file: file, line: line)
                closed[id] = (kind, by)
            }
        }
    }

    private func checkOpen(_ id: ConnectionID, file: StaticString, line: UInt) {
        XCTAssertNotNil(opened[id], "event before open", file: file, line: line)
        XCTAssertNil(closed[id], "event after close", file: file, line: line)
    }

    func bytes(_ id: ConnectionID, _ direction: Direction) -> [UInt8] { streams[id]?[direction] ?? [] }
}

final class TCPReassemblerTests: XCTestCase {
    static let client = IPEndpoint(.v4(0x0A00_0001), 40000)
    static let server = IPEndpoint(.v4(0x0A00_0002), 80)

    static func segment(
        _ direction: Direction, _ seq: UInt32, _ flags: TCPFlags = .ack, _ payload: [UInt8] = [],
        missing: Int = 0, client: IPEndpoint = client
    ) -> TCPSegment {
        let (source, destination) = direction == .client ? (client, server) : (server, client)
        return TCPSegment(
            source: source, destination: destination, sequence: seq, flags: flags, payload: payload[...],
            missingBytes: missing)
    }

    static func t(_ seconds: Double) -> Timestamp { Timestamp(seconds: 1_700_000_000 + seconds) }

    func run(_ segments: [TCPSegment], _ r: inout TCPReassembler, into transcript: inout Transcript) {
        for (i, s) in segments.enumerated() { transcript.add(r.process(s, at: Self.t(Double(i) / 1000))) }
    }

    /// Random streams both ways, cut into random segments, shuffled within a
    /// window, with duplicates and overlapping retransmissions, sequence
    /// numbers wrapping 2^32: the bytes must come out exactly, with no gaps.
    func testRandomizedStreamsReassembleExactly() {
        for seed in UInt64(1)...25 {
            var rng = SplitMix64(seed: seed)
            let data: [Direction: [UInt8]] = [
                .client: (0..<rng.int(1...20_000)).map { _ in UInt8(truncatingIfNeeded: rng.next()) },
                .server: (0..<rng.int(1...20_000)).map { _ in UInt8(truncatingIfNeeded: rng.next()) },
            ]
            let isn: [Direction: UInt32] = [
                .client: UInt32.max - UInt32(rng.int(0...6000)), .server: UInt32.max - UInt32(rng.int(0...25_000)),
            ]
            var sent: [Direction: Int] = [.client: 0, .server: 0]
            var body: [TCPSegment] = []
            func seg(_ d: Direction, _ range: Range<Int>, _ flags: TCPFlags = [.ack, .psh]) -> TCPSegment {
                Self.segment(d, isn[d]! &+ 1 &+ UInt32(range.lowerBound), flags, Array(data[d]![range]))
            }
            while sent[.client]! < data[.client]!.count || sent[.server]! < data[.server]!.count {
                let d: Direction = sent[.client]! == data[.client]!.count ? .server
                    : sent[.server]! == data[.server]!.count ? .client : (rng.chance(0.5) ? .client : .server)
                let start = sent[d]!
                let end = min(data[d]!.count, start + rng.int(1...1460))
                body.append(seg(d, start..<end))
                sent[d] = end
                if rng.chance(0.1) { body.append(seg(d, start..<end)) }
                if rng.chance(0.1) {
                    let a = rng.int(0...(end - 1)), b = rng.int((a + 1)...end)
                    body.append(seg(d, a..<b))
                }
            }
            body.append(seg(.client, data[.client]!.count..<data[.client]!.count, [.ack, .fin]))
            body.append(seg(.server, data[.server]!.count..<data[.server]!.count, [.ack, .fin]))
            for i in body.indices {
                body.swapAt(i, min(body.count - 1, i + rng.int(0...7)))
            }
            let segments = [
                Self.segment(.client, isn[.client]!, .syn), Self.segment(.server, isn[.server]!, [.syn, .ack]),
            ] + body
            var r = TCPReassembler()
            var transcript = Transcript()
            run(segments, &r, into: &transcript)
            XCTAssertEqual(transcript.order.count, 1)
            let id = transcript.order[0]
            XCTAssertEqual(transcript.closed[id]?.kind, .fin, "seed \(seed): closed once both FINs are in order")
            transcript.add(r.finish())
            XCTAssertEqual(transcript.bytes(id, .client), data[.client]!, "seed \(seed)")
            XCTAssertEqual(transcript.bytes(id, .server), data[.server]!, "seed \(seed)")
            XCTAssertTrue(transcript.gaps.isEmpty, "seed \(seed): \(transcript.gaps)")
            XCTAssertEqual(r.bufferedBytes, 0)
        }
    }

    /// One segment dropped: exactly one gap of its size, reported at finish, in place.
    func testDroppedSegmentIsOneGapOfTheRightSize() {
        for seed in UInt64(1)...20 {
            var rng = SplitMix64(seed: seed)
            let data = (0..<rng.int(2_000...30_000)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let isn = UInt32.max - UInt32(rng.int(0...20_000))
            var cuts = [0]
            while cuts.last! < data.count { cuts.append(min(data.count, cuts.last! + rng.int(1...1460))) }
            let pieces = (1..<cuts.count).map { cuts[$0 - 1]..<cuts[$0] }
            let dropped = rng.int(0...(pieces.count - 1))
            var segments = [Self.segment(.client, isn, .syn), Self.segment(.server, 7, [.syn, .ack])]
            for (i, piece) in pieces.enumerated() where i != dropped {
                segments.append(Self.segment(.client, isn &+ 1 &+ UInt32(piece.lowerBound), .ack, Array(data[piece])))
            }
            segments.append(Self.segment(.client, isn &+ 1 &+ UInt32(data.count), [.ack, .fin]))
            var r = TCPReassembler()
            var transcript = Transcript()
            run(segments, &r, into: &transcript)
            XCTAssertTrue(transcript.gaps.isEmpty, "no gap before the end")
            transcript.add(r.finish())
            let id = transcript.order[0]
            XCTAssertEqual(transcript.gaps.map(\.2), [pieces[dropped].count], "seed \(seed)")
            var expected = data
            expected.replaceSubrange(pieces[dropped], with: [UInt8](repeating: 0, count: pieces[dropped].count))
            XCTAssertEqual(transcript.bytes(id, .client), expected, "seed \(seed)")
            XCTAssertEqual(transcript.closed[id]?.kind, .fin)
            XCTAssertEqual(transcript.closed[id]?.by, .client)
        }
    }

    func testResetFlushesHoleThenDataThenCloses() {
        var r = TCPReassembler()
        var events = r.process(Self.segment(.client, 100, .syn), at: Self.t(0))
        events += r.process(Self.segment(.server, 500, [.syn, .ack]), at: Self.t(0))
        events += r.process(Self.segment(.client, 101, .ack, Array("hello".utf8)), at: Self.t(1))
        events += r.process(Self.segment(.server, 504, .ack, Array("world".utf8)), at: Self.t(2))  // 3 missing
        XCTAssertEqual(r.bufferedBytes, 5 + HalfStream.chunkOverhead)
        events += r.process(Self.segment(.server, 509, .rst), at: Self.t(3))
        let id = ConnectionID(rawValue: 1)
        XCTAssertEqual(
            events,
            [
                .opened(id, client: Self.client.endpoint, server: Self.server.endpoint, midstream: false, at: Self.t(0)),
                .data(id, .client, bytes: Array("hello".utf8)[...], at: Self.t(1)),
                .gap(id, .server, bytes: 3, at: Self.t(3)),
                .data(id, .server, bytes: Array("world".utf8)[...], at: Self.t(2)),
                .closed(id, kind: .reset, by: .server, at: Self.t(3)),
            ])
        XCTAssertEqual(r.bufferedBytes, 0)
        // Late segments on the closed connection are absorbed.
        XCTAssertEqual(r.process(Self.segment(.client, 106, .ack, [1]), at: Self.t(4)), [])
        XCTAssertEqual(r.finish(), [])
    }

    func testFinFromEachSide() {
        for first in Direction.allCases {
            var r = TCPReassembler()
            var transcript = Transcript()
            let fins: [TCPSegment] = [Self.segment(.client, 1, [.fin, .ack]), Self.segment(.server, 1, [.fin, .ack])]
            run(
                [Self.segment(.client, 0, .syn), Self.segment(.server, 0, [.syn, .ack])]
                    + (first == .client ? fins : fins.reversed()) + [Self.segment(.client, 2, .ack)],
                &r, into: &transcript)
            XCTAssertEqual(transcript.closed[ConnectionID(rawValue: 1)]?.kind, .fin)
            XCTAssertEqual(transcript.closed[ConnectionID(rawValue: 1)]?.by, first)
            XCTAssertEqual(transcript.order.count, 1, "the last ACK does not open a connection")
            XCTAssertEqual(r.finish(), [])
        }
        // One FIN, then the capture ends: still a FIN close, by that side.
        var r = TCPReassembler()
        _ = r.process(Self.segment(.server, 9, [.fin, .ack], Array("bye".utf8)), at: Self.t(0))
        XCTAssertEqual(
            r.finish().last, .closed(ConnectionID(rawValue: 1), kind: .fin, by: .client, at: Self.t(0)),
            "midstream: the guessed client is the first sender")
    }

    func testMidstreamStart() {
        var r = TCPReassembler()
        var transcript = Transcript()
        run(
            [
                Self.segment(.server, 1000, .ack, Array("HTTP/1.1 200".utf8)),
                Self.segment(.client, 77, .ack, Array("GET".utf8)),
                Self.segment(.server, 990, .ack, Array("0123456789".utf8)),  // before the start: ignored
                Self.segment(.server, 1012, .ack, Array(" OK".utf8)),
            ], &r, into: &transcript)
        transcript.add(r.finish())
        let id = ConnectionID(rawValue: 1)
        XCTAssertEqual(transcript.opened[id]?.midstream, true)
        XCTAssertEqual(transcript.opened[id]?.client, Self.server.endpoint)
        XCTAssertEqual(transcript.bytes(id, .client), Array("HTTP/1.1 200 OK".utf8))
        XCTAssertEqual(transcript.bytes(id, .server), Array("GET".utf8))
        XCTAssertEqual(transcript.closed[id]?.kind, .cut)
    }

    func testPortReuseStartsANewConnection() {
        var r = TCPReassembler()
        var transcript = Transcript()
        run(
            [
                Self.segment(.client, 0, .syn), Self.segment(.client, 0, .syn),  // SYN retransmitted
                Self.segment(.server, 0, [.syn, .ack]), Self.segment(.client, 1, .ack, [1, 2]),
                Self.segment(.client, 3, [.fin, .ack]), Self.segment(.server, 1, [.fin, .ack]),
                Self.segment(.client, 4, .ack),
                Self.segment(.client, 5000, .syn), Self.segment(.server, 9000, [.syn, .ack]),
                Self.segment(.client, 5001, .ack, [3]),
                Self.segment(.client, 7000, .syn), Self.segment(.client, 7001, .ack, [4]),  // reused while open
            ], &r, into: &transcript)
        transcript.add(r.finish())
        XCTAssertEqual(transcript.order.map(\.rawValue), [1, 2, 3])
        XCTAssertEqual(transcript.bytes(ConnectionID(rawValue: 1), .client), [1, 2])
        XCTAssertEqual(transcript.bytes(ConnectionID(rawValue: 2), .client), [3])
        XCTAssertEqual(transcript.bytes(ConnectionID(rawValue: 3), .client), [4])
        XCTAssertEqual(transcript.closed[ConnectionID(rawValue: 1)]?.kind, .fin)
        XCTAssertEqual(transcript.closed[ConnectionID(rawValue: 2)]?.kind, .cut)
        XCTAssertEqual(transcript.closed[ConnectionID(rawValue: 3)]?.kind, .cut)
        XCTAssertTrue(transcript.opened.values.allSatisfy { !$0.midstream })
    }

    func testReorderedHandshakeAndStaleSYNsDoNotOpenConnections() {
        var r = TCPReassembler()
        var transcript = Transcript()
        run(
            [
                Self.segment(.server, 500, [.syn, .ack]), Self.segment(.client, 100, .syn),  // SYN after SYN-ACK
                Self.segment(.client, 101, .ack, [1]), Self.segment(.server, 501, .ack, [2]),
                Self.segment(.client, 102, [.fin, .ack]), Self.segment(.server, 502, [.fin, .ack]),
                Self.segment(.client, 100, .syn),  // stale SYN on the closed connection
            ], &r, into: &transcript)
        let other = IPEndpoint(.v4(0x0A00_0003), 5)
        run(
            [
                Self.segment(.server, 900, [.syn, .ack], client: other),  // its SYN was never captured
                Self.segment(.client, 301, .ack, [3], client: other),
                Self.segment(.client, 302, [.fin, .ack], client: other),
                Self.segment(.server, 901, [.fin, .ack], client: other),
                Self.segment(.client, 300, .syn, client: other),  // the lost SYN, late: stale
                Self.segment(.client, 7000, .syn, client: other),  // port reuse: new
            ], &r, into: &transcript)
        XCTAssertEqual(transcript.order.count, 3)
        XCTAssertEqual(transcript.opened[ConnectionID(rawValue: 2)]?.midstream, false)
        XCTAssertEqual(transcript.bytes(ConnectionID(rawValue: 2), .client), [3])
        XCTAssertEqual(transcript.closed[ConnectionID(rawValue: 1)]?.kind, .fin)
        XCTAssertEqual(transcript.bytes(ConnectionID(rawValue: 1), .client), [1])
        XCTAssertEqual(transcript.bytes(ConnectionID(rawValue: 1), .server), [2])
    }

    func testSnaplenMissingBytesBecomeAGapInOrder() {
        var r = TCPReassembler()
        var transcript = Transcript()
        run(
            [
                Self.segment(.client, 0, .syn),
                Self.segment(.client, 9, .ack, Array("ghi".utf8)),  // out of order, after the cut one
                Self.segment(.client, 1, .ack, Array("abc".utf8), missing: 5),
            ], &r, into: &transcript)
        XCTAssertEqual(transcript.gaps.map(\.2), [5])
        XCTAssertEqual(transcript.bytes(ConnectionID(rawValue: 1), .client), Array("abc".utf8) + [0, 0, 0, 0, 0] + Array("ghi".utf8))
        XCTAssertEqual(r.bufferedBytes, 0)
    }

    /// 200k out-of-order segments (a 1-byte hole before each) never push the
    /// connection past its cap; every byte is accounted for as data or gap.
    func testPerConnectionCapHoldsUnderOutOfOrderFlood() {
        let limits = TCPReassemblerLimits(maxBufferedBytesPerConnection: 256 << 10)
        var r = TCPReassembler(limits: limits)
        var delivered = 0, gaps = 0
        func count(_ events: [TCPEvent]) {
            for case .data(_, _, let bytes, _) in events { delivered += bytes.count }
            for case .gap(_, _, let n, _) in events { gaps += n }
        }
        count(r.process(Self.segment(.client, UInt32.max - 1000, .syn), at: Self.t(0)))
        let payload = [UInt8](repeating: 7, count: 10)
        var maxSeen = 0
        for i in 0..<200_000 {
            let seq = UInt32.max - 1000 &+ 2 &+ UInt32(i * 11)
            count(r.process(Self.segment(.client, seq, .ack, payload), at: Self.t(Double(i) / 1e4)))
            maxSeen = max(maxSeen, r.bufferedBytes(for: ConnectionKey(Self.client, Self.server)))
        }
        XCTAssertLessThanOrEqual(maxSeen, limits.maxBufferedBytesPerConnection)
        XCTAssertGreaterThan(maxSeen, limits.maxBufferedBytesPerConnection - 100, "the cap was reached")
        count(r.finish())
        XCTAssertEqual(delivered, 2_000_000)
        XCTAssertEqual(gaps, 200_000)
        XCTAssertEqual(r.bufferedBytes, 0)
    }

    func testTotalCapAcrossConnections() {
        let limits = TCPReassemblerLimits(maxBufferedBytesPerConnection: 1 << 20, maxBufferedBytesTotal: 5_000)
        var r = TCPReassembler(limits: limits)
        var rng = SplitMix64(seed: 42)
        var transcript = Transcript()
        for i in 0..<2_000 {
            let port = UInt16(1000 + rng.int(0...9))
            let c = IPEndpoint(.v4(0x0A00_0001), port)
            let seq = UInt32(rng.int(1...100_000))  // midstream, mostly out of order
            transcript.add(r.process(Self.segment(.client, seq, .ack, [1, 2, 3], client: c), at: Self.t(Double(i))))
            XCTAssertLessThanOrEqual(r.bufferedBytes, limits.maxBufferedBytesTotal)
        }
        transcript.add(r.finish())
        XCTAssertEqual(transcript.order.count, 10)
        XCTAssertEqual(transcript.closed.count, 10)
    }

    func testMaxConnectionsEvictsTheLeastRecentlyActive() {
        var r = TCPReassembler(limits: TCPReassemblerLimits(maxConnections: 3))
        var transcript = Transcript()
        let clients = (0..<4).map { IPEndpoint(.v4(0x0A00_0001), UInt16(2000 + $0)) }
        for (i, c) in clients.prefix(3).enumerated() {
            transcript.add(r.process(Self.segment(.client, 0, .syn, client: c), at: Self.t(Double(i))))
        }
        transcript.add(r.process(Self.segment(.client, 1, .ack, [9], client: clients[0]), at: Self.t(3)))
        transcript.add(r.process(Self.segment(.client, 0, .syn, client: clients[3]), at: Self.t(4)))
        XCTAssertEqual(r.trackedConnections, 3)
        XCTAssertEqual(transcript.closed.count, 1)
        XCTAssertEqual(transcript.closed[ConnectionID(rawValue: 2)]?.kind, .limit)
        transcript.add(r.finish())
        XCTAssertEqual(transcript.closed.count, 4)
    }

    func testIdleFlushEndsQuietConnections() {
        var r = TCPReassembler()
        var transcript = Transcript()
        let other = IPEndpoint(.v4(0x0A00_0009), 3000)
        transcript.add(r.process(Self.segment(.client, 0, .syn), at: Self.t(0)))
        transcript.add(r.process(Self.segment(.client, 3, .ack, [2]), at: Self.t(1)))  // buffered after a hole
        transcript.add(r.process(Self.segment(.client, 5, .ack, [1], client: other), at: Self.t(100)))
        let idle = r.flushIdle(now: Self.t(130))
        transcript.add(idle)
        XCTAssertEqual(
            idle.last, .closed(ConnectionID(rawValue: 1), kind: .cut, by: nil, at: Self.t(1)))
        XCTAssertEqual(transcript.gaps.map(\.2), [2])
        XCTAssertEqual(r.trackedConnections, 1)
        XCTAssertEqual(r.bufferedBytes, 0)
        XCTAssertEqual(r.flushIdle(now: Self.t(219)), [])
        XCTAssertEqual(r.flushIdle(now: Self.t(221)).count, 1)
        XCTAssertEqual(r.trackedConnections, 0)
    }
}
