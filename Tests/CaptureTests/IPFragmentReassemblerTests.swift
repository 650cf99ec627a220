import XCTest
import TrafficModel
@testable import Capture

/// Table-driven like gopacket's: fragments in order, reversed, duplicated,
/// overlapping; inconsistent ones dropped and reported; time and memory bounded.
final class IPFragmentReassemblerTests: XCTestCase {
    static let key = IPFragment.Key(source: .v4(0x0A00_0001), destination: .v4(0x0A00_0002), identification: 77, proto: 6)
    static let datagram: [UInt8] = (0..<200).map { UInt8($0 & 0xFF) }

    static func piece(_ range: Range<Int>, last: Bool? = nil, bytes: [UInt8] = datagram, key: IPFragment.Key = key, version: Int = 4) -> IPFragment {
        IPFragment(key: key, offset: range.lowerBound, moreFragments: !(last ?? (range.upperBound == bytes.count)), payload: bytes[range], ipVersion: version)
    }

    func run(_ pieces: [IPFragment], limits: IPFragmentLimits = .default) -> ([IPFragmentReassembler.Outcome], IPFragmentReassembler) {
        var reassembler = IPFragmentReassembler(limits: limits)
        let outcomes = pieces.enumerated().map { reassembler.add($1, at: Timestamp(seconds: Double($0) * 0.001)) }
        return (outcomes, reassembler)
    }

    func completed(_ outcomes: [IPFragmentReassembler.Outcome]) -> [IPDatagram] {
        outcomes.compactMap { if case .complete(let d) = $0 { d } else { nil } }
    }

    func testOrdersDuplicatesAndConsistentOverlaps() {
        let orders: [(String, [IPFragment])] = [
            ("in order", [Self.piece(0..<80), Self.piece(80..<160), Self.piece(160..<200)]),
            ("reversed", [Self.piece(160..<200), Self.piece(80..<160), Self.piece(0..<80)]),
            ("last first", [Self.piece(160..<200), Self.piece(0..<80), Self.piece(80..<160)]),
            ("duplicated", [Self.piece(0..<80), Self.piece(0..<80), Self.piece(80..<160), Self.piece(160..<200)]),
            ("overlapping, same bytes", [Self.piece(0..<96), Self.piece(80..<168), Self.piece(160..<200)]),
            ("contained", [Self.piece(0..<160), Self.piece(16..<40), Self.piece(160..<200)]),
        ]
        for (name, pieces) in orders {
            let (outcomes, reassembler) = run(pieces)
            XCTAssertEqual(completed(outcomes).map(\.payload), [Self.datagram], name)
            XCTAssertEqual(outcomes.last.map { if case .complete = $0 { true } else { false } }, true, name)
            XCTAssertEqual(reassembler.pendingDatagrams, 0, name)
            XCTAssertEqual(reassembler.bufferedBytes, 0, name)
        }
    }

    func testInconsistentFragmentsAreDroppedNeverGuessed() {
        var other = Self.datagram
        other[90] ^= 0xFF
        let cases: [(String, [IPFragment])] = [
            ("overlap with different bytes", [Self.piece(0..<96), Self.piece(160..<200), Self.piece(80..<160, bytes: other)]),
            ("two last fragments", [Self.piece(160..<200), Self.piece(0..<80, last: true)]),
            ("data past the end", [Self.piece(80..<120, last: true), Self.piece(120..<160)]),
            ("a last fragment before data already seen", [Self.piece(120..<160), Self.piece(80..<120, last: true)]),
            ("past 65535", [IPFragment(key: Self.key, offset: 65528, moreFragments: false, payload: [UInt8](repeating: 0, count: 16)[...], ipVersion: 4)]),
        ]
        for (name, pieces) in cases {
            let (outcomes, reassembler) = run(pieces)
            XCTAssertEqual(completed(outcomes), [], name)
            XCTAssertTrue(outcomes.contains { if case .dropped = $0 { true } else { false } }, name)
            XCTAssertEqual(reassembler.counts.inconsistent, 1, name)
            XCTAssertEqual(reassembler.bufferedBytes, 0, name)
        }
    }

    func testTimeoutIsPacketTime() {
        var reassembler = IPFragmentReassembler(limits: IPFragmentLimits(timeout: 30))
        XCTAssertEqual(reassembler.add(Self.piece(0..<80), at: Timestamp(seconds: 100)), .pending)
        XCTAssertEqual(reassembler.add(Self.piece(80..<160), at: Timestamp(seconds: 129)), .pending)
        // 31 s after the first fragment: that datagram is gone; this starts a new one.
        XCTAssertEqual(reassembler.add(Self.piece(160..<200), at: Timestamp(seconds: 131)), .pending)
        XCTAssertEqual(reassembler.counts.timedOut, 1)
        XCTAssertEqual(reassembler.pendingDatagrams, 1)
        reassembler.expire(now: Timestamp(seconds: 1000))
        XCTAssertEqual(reassembler.pendingDatagrams, 0)
        XCTAssertEqual(reassembler.bufferedBytes, 0)
    }

    func testCountAndByteCapsDropTheOldest() {
        var pieces: [IPFragment] = []
        for id in 0..<10 {
            var key = Self.key
            key.identification = UInt32(id)
            pieces.append(Self.piece(0..<80, key: key))
        }
        let (_, byCount) = run(pieces, limits: IPFragmentLimits(maxDatagrams: 4))
        XCTAssertEqual(byCount.pendingDatagrams, 4)
        XCTAssertEqual(byCount.counts.overLimit, 6)
        let (outcomes, byBytes) = run(pieces, limits: IPFragmentLimits(maxBufferedBytes: 250))
        XCTAssertLessThanOrEqual(byBytes.bufferedBytes, 250)
        XCTAssertEqual(byBytes.pendingDatagrams, 3)
        XCTAssertEqual(outcomes.first, .pending)
        // The oldest are gone: completing one of them starts over and does not complete.
        let (late, _) = run(pieces + [Self.piece(80..<200)], limits: IPFragmentLimits(maxDatagrams: 4))
        XCTAssertEqual(completed(late), [])
    }

    func testIPv6AndIPv4WithTheSameIdentificationStayApart() {
        let v6Key = IPFragment.Key(source: .v6(high: 1, low: 1), destination: .v6(high: 1, low: 2), identification: 77, proto: 6)
        let (outcomes, _) = run([
            Self.piece(0..<80), Self.piece(0..<80, key: v6Key, version: 6), Self.piece(80..<200, key: v6Key, version: 6), Self.piece(80..<200),
        ])
        XCTAssertEqual(completed(outcomes).map(\.ipVersion), [6, 4])
    }
}
