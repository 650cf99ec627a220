import XCTest
import TrafficModel
@testable import Wire

final class HTTP1ParserErrorTests: XCTestCase {
    private struct Case {
        var role: HTTP1Parser.Role
        var input: String
        var code: WireError.Code
        var offset: Int
        var limits: HTTP1Limits = .default
        var finish = false
        var line: UInt
    }

    private let prefix = "GET / HTTP/1.1\r\n"  // 16 bytes

    func testMalformedInputsThrowWithOffsetAndReason() {
        let postCL = "POST / HTTP/1.1\r\nContent-Length: "
        let chunked = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"  // 47 bytes
        let cases: [Case] = [
            Case(role: .request, input: "GET /\r\n\r\n", code: .invalidStartLine, offset: 0, line: #line),
            Case(role: .request, input: "\r\nGET  HTTP/1.1\r\n\r\n", code: .invalidStartLine, offset: 2, line: #line),
            Case(role: .request, input: "GET / HTTP/1.1 x\r\n\r\n", code: .invalidStartLine, offset: 0, line: #line),
            Case(role: .request, input: "GET / HTTP/11\r\n\r\n", code: .invalidStartLine, offset: 0, line: #line),
            Case(role: .request, input: "G(T / HTTP/1.1\r\n\r\n", code: .invalidStartLine, offset: 0, line: #line),
            Case(role: .request, input: "GET /a\u{7F}b HTTP/1.1\r\n\r\n", code: .invalidStartLine, offset: 0, line: #line),
            Case(role: .response, input: "HTTP/1.1 20 OK\r\n\r\n", code: .invalidStartLine, offset: 0, line: #line),
            Case(role: .response, input: "HTTP/1.1 2000 OK\r\n\r\n", code: .invalidStartLine, offset: 0, line: #line),
            Case(role: .response, input: "ICY 200 OK\r\n\r\n", code: .invalidStartLine, offset: 0, line: #line),
            Case(role: .request, input: prefix + "Host\r\n\r\n", code: .invalidFieldLine, offset: 16, line: #line),
            Case(role: .request, input: prefix + ": empty\r\n\r\n", code: .invalidFieldLine, offset: 16, line: #line),
            Case(role: .request, input: prefix + "Bad Name: x\r\n\r\n", code: .invalidFieldLine, offset: 16, line: #line),
            Case(role: .request, input: prefix + " folded: x\r\n\r\n", code: .invalidFieldLine, offset: 16, line: #line),
            Case(role: .request, input: prefix + "Host : h\r\n\r\n", code: .whitespaceBeforeColon, offset: 20, line: #line),
            Case(role: .request, input: prefix + "Host\t: h\r\n\r\n", code: .whitespaceBeforeColon, offset: 20, line: #line),
            Case(role: .request, input: postCL + "12a\r\n\r\n", code: .invalidContentLength, offset: 0, line: #line),
            Case(role: .request, input: postCL + "-1\r\n\r\n", code: .invalidContentLength, offset: 0, line: #line),
            Case(role: .request, input: postCL + "+5\r\n\r\n", code: .invalidContentLength, offset: 0, line: #line),
            Case(role: .request, input: postCL + "\r\n\r\n", code: .invalidContentLength, offset: 0, line: #line),
            Case(role: .request, input: postCL + "99999999999999999999999\r\n\r\n", code: .invalidContentLength, offset: 0, line: #line),
            Case(role: .response, input: "HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n", code: .invalidContentLength, offset: 0, line: #line),
            Case(role: .request, input: postCL + "5\r\nContent-Length: 6\r\n\r\n", code: .conflictingContentLength, offset: 0, line: #line),
            Case(role: .request, input: postCL + "5, 6\r\n\r\n", code: .conflictingContentLength, offset: 0, line: #line),
            Case(role: .request, input: "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", code: .invalidTransferEncoding, offset: 0, line: #line),
            Case(role: .request, input: chunked + "zz\r\n", code: .invalidChunkSize, offset: 47, line: #line),
            Case(role: .request, input: chunked + "\r\n", code: .invalidChunkSize, offset: 47, line: #line),
            Case(role: .request, input: chunked + " 5\r\n", code: .invalidChunkSize, offset: 47, line: #line),
            Case(role: .request, input: chunked + "5x\r\n", code: .invalidChunkSize, offset: 48, line: #line),
            Case(role: .request, input: chunked + "FFFFFFFFFFFFFFFFF\r\n", code: .invalidChunkSize, offset: 47, line: #line),
            Case(role: .request, input: chunked + "3\r\nabcX\r\n", code: .invalidChunkTerminator, offset: 53, line: #line),
            Case(role: .request, input: chunked + "3\r\nabc\rX", code: .invalidChunkTerminator, offset: 54, line: #line),
            Case(role: .request, input: chunked + "0\r\nTrailer\r\n\r\n", code: .invalidFieldLine, offset: 50, line: #line),
            Case(
                role: .request, input: prefix + "X: " + String(repeating: "a", count: 200) + "\r\n\r\n", code: .headerTooLarge, offset: 0,
                limits: HTTP1Limits(maxHeaderBytes: 100), line: #line),
            Case(
                role: .request, input: prefix + "X: " + String(repeating: "a", count: 200), code: .headerTooLarge, offset: 0,
                limits: HTTP1Limits(maxHeaderBytes: 100), line: #line),
            Case(
                role: .request, input: chunked + String(repeating: "0", count: 200), code: .invalidChunkSize, offset: 47,
                limits: HTTP1Limits(maxHeaderBytes: 100), line: #line),
            Case(
                role: .request, input: chunked + "0\r\nX: " + String(repeating: "t", count: 200), code: .headerTooLarge, offset: 50,
                limits: HTTP1Limits(maxHeaderBytes: 100), line: #line),
            Case(
                role: .request, input: prefix + "A: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", code: .tooManyHeaderFields, offset: 34,
                limits: HTTP1Limits(maxHeaderFields: 3), line: #line),
            Case(role: .request, input: "GET / HTTP/1.1\r\nHost: h\r\n", code: .truncatedHead, offset: 0, finish: true, line: #line),
            Case(role: .request, input: "GET / HTTP/1.1\r\n\r\nGE", code: .truncatedHead, offset: 18, finish: true, line: #line),
        ]
        for c in cases {
            let input = bytes(c.input)
            let outcome = runHTTP1(c.role, input, methods: ["GET"], limits: c.limits, finish: c.finish)
            guard let error = outcome.error else {
                XCTFail("no error for \(c.input.debugDescription): \(outcome.events)", line: c.line)
                continue
            }
            XCTAssertEqual(error.code, c.code, "\(error)", line: c.line)
            XCTAssertEqual(error.location.offset, c.offset, "\(error)", line: c.line)
            XCTAssertTrue(error.description.contains("offset \(c.offset)"), error.description, line: c.line)
            XCTAssertEqual(outcome.status, .failed(error), line: c.line)
            // The same error, byte by byte: no partial input hides it or moves it.
            let dripped = runHTTP1(c.role, input, batches: Array(repeating: 1, count: input.count), methods: ["GET"], limits: c.limits, finish: c.finish)
            XCTAssertEqual(dripped.error, error, "drip-fed: \(String(describing: dripped.error))", line: c.line)
            XCTAssertEqual(dripped.error?.location, error.location, "drip-fed", line: c.line)
        }
    }

    func testFailedParserKeepsFailingAndKeepsTheBytes() throws {
        let good = bytes("GET /ok HTTP/1.1\r\n\r\n")
        let bad = bytes("GET /bad HTTP/1.1\r\nNoColon\r\n\r\n")
        var parser = HTTP1Parser(role: .request)
        parser.append(good + bad)
        XCTAssertNotNil(try parser.next())
        var first: WireError?
        do { _ = try parser.next() } catch { first = error }
        let error = try XCTUnwrap(first)
        XCTAssertEqual(error.code, .invalidFieldLine)
        XCTAssertEqual(error.location.offset, good.count + 19)
        XCTAssertTrue(error.reason.contains("\"NoColon\""), error.reason)
        XCTAssertThrowsError(try parser.next()) { XCTAssertEqual(($0 as? WireError)?.location, error.location) }
        XCTAssertThrowsError(try parser.finish()) { XCTAssertEqual(($0 as? WireError)?.location, error.location) }
        XCTAssertEqual(parser.offset, good.count)
        XCTAssertEqual(parser.takeRemainingBytes(), bad)
        XCTAssertEqual(parser.status, .failed(error))
    }

    func testErrorDescriptionEscapesTheLine() {
        let outcome = runHTTP1(.request, bytes("GET / HTTP/1.1\r\nA\u{1}\"b\r\n\r\n"))
        let reason = outcome.error?.reason ?? ""
        XCTAssertTrue(reason.contains(#""A\x01\x22b""#), reason)
    }
}
