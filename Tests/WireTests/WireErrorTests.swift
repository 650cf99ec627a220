import XCTest
import TrafficModel
@testable import Wire

/// Wire's one error reads as the three it replaced did, by protocol.
final class WireErrorTests: XCTestCase {
    func testDescriptionsByProtocol() {
        XCTAssertEqual(
            WireError(.invalidContentLength, offset: 42, reason: "invalid Content-Length \"x\"").description,
            "HTTP/1.1 parse error at stream offset 42: invalid Content-Length \"x\"")
        XCTAssertEqual(
            WireError(.framePayloadOverLimit, offset: 4, reason: "too long").description,
            "WebSocket frame at stream offset 4: too long")
        XCTAssertThrowsError(try PerMessageDeflateParameters.negotiated(fromResponseHeader: "permessage-deflate; x=1")) { error in
            XCTAssertEqual((error as? WireError)?.code, .invalidDeflateNegotiation)
            XCTAssertEqual("\(error)", "Sec-WebSocket-Extensions: unknown permessage-deflate parameter x in \"permessage-deflate; x=1\"")
        }
    }

    func testEqualOnTheCodeOnly() {
        XCTAssertEqual(WireError(.truncatedHead, offset: 0, reason: "a"), WireError(.truncatedHead, offset: 9, reason: "b"))
        XCTAssertNotEqual(WireError(.truncatedHead, offset: 0, reason: "a"), WireError(.headerTooLarge, offset: 0, reason: "a"))
        XCTAssertEqual(WireError.Code.lengthTopBitSet.description, "lengthTopBitSet")
    }
}
