import XCTest
@testable import Wire

/// RFC 9110 §9.1: any token is a method. What is not an HTTP/1.x request
/// line stays "not HTTP", whether it arrives whole or a byte at a time.
final class HTTP1RequestLineSnifferTests: XCTestCase {
    static let requests = [
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "RPC_IN_DATA /rpc/rpcproxy.dll?MAIL:6001 HTTP/1.1\r\n",
        "RPC_OUT_DATA /rpc/rpcproxy.dll HTTP/1.1\r\n",
        "PROPFIND /dav/ HTTP/1.1\r\n",
        "M-SEARCH * HTTP/1.1\r\n",
        "CONNECT 10.0.0.1:443 HTTP/1.1\r\n",
        "OPTIONS * HTTP/1.0\n",
        "GET http://example.com/ HTTP/1.1\r\n",
        "purge /cache HTTP/1.1\r\n",  // lower case is a token too (case-sensitive, unusual)
        "GET /\r\n",  // HTTP/0.9 simple request
    ]

    static let others = [
        "SSH-2.0-OpenSSH_9.6\r\n",
        "220 mail.example.com ESMTP\r\n",
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        "HELO there\r\n",
        "GET / HTTP/2\r\n",
        "GET / FTP/1.1\r\n",
        "GET  HTTP/1.1\r\n",
        "\u{16}\u{03}\u{01}\u{02}\u{00}",
        "* OK IMAP4rev1 ready\r\n",
        "+OK POP3\r\n",
    ]

    func testWholeLines() {
        for request in Self.requests {
            XCTAssertTrue(HTTP1RequestLineSniffer.startsRequest(Array(request.utf8)[...]), request)
        }
        for other in Self.others {
            XCTAssertFalse(HTTP1RequestLineSniffer.startsRequest(Array(other.utf8)[...]), other)
        }
    }

    /// A request line split across segments is recognised from any prefix
    /// that reaches the target (as long as its method looks like one in use).
    func testEveryPrefixOfARequestIsARequestOnceTheMethodEnds() {
        for request in Self.requests where !request.hasPrefix("purge") {
            let bytes = Array(request.utf8)
            let methodEnd = bytes.firstIndex(of: UInt8(ascii: " "))!
            for length in 0...bytes.count {
                let verdict = HTTP1RequestLineSniffer.startsRequest(bytes[..<length])
                XCTAssertEqual(verdict, length > methodEnd, "\(request.debugDescription) cut at \(length)")
            }
        }
    }

    /// A slice that does not start at index 0 is read from its own start.
    func testSliceIndices() {
        let bytes = Array("\u{0}\u{0}RPC_IN_DATA /x HTTP/1.1\r\n".utf8)
        XCTAssertTrue(HTTP1RequestLineSniffer.startsRequest(bytes[2...]))
        XCTAssertFalse(HTTP1RequestLineSniffer.startsRequest(bytes[1...]))
    }
}
