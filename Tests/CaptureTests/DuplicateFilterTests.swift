import XCTest
import TrafficModel
@testable import Capture

final class DuplicateFilterTests: XCTestCase {
    static func segment(seq: UInt32 = 1, payload: [UInt8] = Array("GET /".utf8)) -> TCPSegment {
        TCPSegment(source: IPEndpoint(.v4(1), 5000), destination: IPEndpoint(.v4(2), 80), sequence: seq, acknowledgment: 9, flags: [.ack, .psh], payload: payload[...])
    }

    func testCopiesWithinTheWindowAreDuplicates() {
        var filter = DuplicateFilter(window: 0.01)
        let t = Timestamp(seconds: 10)
        XCTAssertFalse(filter.isDuplicate(Self.segment(), at: t))
        XCTAssertTrue(filter.isDuplicate(Self.segment(), at: t.adding(seconds: 0.005)))
        // A retransmission comes after a timeout: kept.
        XCTAssertFalse(filter.isDuplicate(Self.segment(), at: t.adding(seconds: 0.3)))
        // Same header, other bytes: not a copy.
        XCTAssertFalse(filter.isDuplicate(Self.segment(payload: Array("PUT /".utf8)), at: t.adding(seconds: 0.301)))
        XCTAssertFalse(filter.isDuplicate(Self.segment(seq: 2), at: t.adding(seconds: 0.302)))
    }

    func testWindowZeroKeepsEveryCopy() {
        var filter = DuplicateFilter(window: 0)
        XCTAssertFalse(filter.isDuplicate(Self.segment(), at: Timestamp(seconds: 1)))
        XCTAssertFalse(filter.isDuplicate(Self.segment(), at: Timestamp(seconds: 1)))
    }
}
