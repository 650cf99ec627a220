public import TrafficModel

/// How long a message body is, decided from its head alone (RFC 9112 §6.3),
/// rule by rule as mitmproxy's `expected_http_body_size` does.
package enum HTTP1BodyLength: Equatable, Sendable {
    case none
    /// 101, or 2xx to CONNECT: no body, and the bytes that follow are not HTTP.
    case switchProtocols
    case contentLength(Int)
    case chunked
    /// Close-delimited: the body runs to the end of the stream (responses only).
    case untilClose

    package static func forRequest(method: String, headers: [HeaderField], headOffset: Int) throws(WireError) -> HTTP1BodyLength {
        // A CONNECT request has no content; what follows is the tunnel.
        if method == "CONNECT" { return .none }
        if let codings = transferCodings(headers) {
            // §6.3 rule 4: in a request, anything but chunked last is unframeable.
            guard codings.last?.lowercased() == "chunked" else {
                throw WireError(
                    .invalidTransferEncoding, offset: headOffset,
                    reason: "request Transfer-Encoding does not end with chunked: \(codings.joined(separator: ", "))")
            }
            return .chunked
        }
        if let length = try contentLength(headers, headOffset: headOffset) { return .contentLength(length) }
        return .none
    }

    /// `requestMethod` is nil when the request was not seen (a capture that
    /// started mid-connection); the response is then framed as if to a GET.
    package static func forResponse(status: Int, requestMethod: String?, headers: [HeaderField], headOffset: Int) throws(WireError) -> HTTP1BodyLength {
        if status == 101 { return .switchProtocols }
        if (100..<200).contains(status) || status == 204 || status == 304 { return .none }
        if requestMethod == "HEAD" { return .none }
        if requestMethod == "CONNECT" && (200..<300).contains(status) { return .switchProtocols }
        // Transfer-Encoding overrides Content-Length (§6.3 rule 3).
        if let codings = transferCodings(headers) {
            return codings.last?.lowercased() == "chunked" ? .chunked : .untilClose
        }
        if let length = try contentLength(headers, headOffset: headOffset) { return .contentLength(length) }
        return .untilClose
    }

    /// The transfer codings in order, or nil without a Transfer-Encoding field.
    package static func transferCodings(_ headers: [HeaderField]) -> [String]? {
        guard headers.contains(where: { isNamed($0, "transfer-encoding") }) else { return nil }
        // Parameters (`;q=…`) are not part of the coding name.
        return headers.listElements("Transfer-Encoding").map {
            String($0.prefix { $0 != ";" }).trimmingCharacters(in: [" ", "\t"])
        }
    }

    /// The Content-Length, or nil without one. A list of identical values
    /// (`5, 5`, or repeated fields) is accepted (RFC 9110 §8.6).
    package static func contentLength(_ headers: [HeaderField], headOffset: Int) throws(WireError) -> Int? {
        let values = headers.filter { isNamed($0, "content-length") }.map(\.value)
        guard !values.isEmpty else { return nil }
        var length: Int?
        for value in values {
            for element in value.split(separator: ",", omittingEmptySubsequences: false) {
                let text = element.trimmingCharacters(in: [" ", "\t"])
                guard let parsed = decimal(text) else {
                    throw WireError(.invalidContentLength, offset: headOffset, reason: "invalid Content-Length \"\(value)\"")
                }
                if let length, length != parsed {
                    throw WireError(
                        .conflictingContentLength, offset: headOffset,
                        reason: "conflicting Content-Length values \(values.joined(separator: ", "))")
                }
                length = parsed
            }
        }
        return length
    }

    /// Case-insensitive name match against a lowercase ASCII name, without
    /// allocating (every head is checked for several fields).
    package static func isNamed(_ field: HeaderField, _ lowercaseName: StaticString) -> Bool {
        let name = field.name.utf8
        guard name.count == lowercaseName.utf8CodeUnitCount else { return false }
        var k = 0
        for byte in name {
            let lower = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
            guard lower == lowercaseName.utf8Start[k] else { return false }
            k += 1
        }
        return true
    }

    /// 1*DIGIT without sign or overflow.
    package static func decimal(_ text: String) -> Int? {
        guard !text.isEmpty else { return nil }
        var value = 0
        for byte in text.utf8 {
            let digit = byte &- UInt8(ascii: "0")
            guard digit <= 9 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(digit))
            guard !o1 && !o2 else { return nil }
            value = sum
        }
        return value
    }
}

extension StringProtocol {
    /// Drops leading and trailing characters in `set` (no Foundation).
    fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
        guard let first = firstIndex(where: { !set.contains($0) }) else { return "" }
        let last = lastIndex(where: { !set.contains($0) })!
        return String(self[first...last])
    }
}

extension HTTP1BodyLength {
    /// How the recording names this framing.
    package var recordedFraming: BodyFraming {
        switch self {
        case .none, .switchProtocols: return .none
        case .contentLength: return .contentLength
        case .chunked: return .chunked
        case .untilClose: return .close
        }
    }

    /// The framing a request head declares, for sources that see heads but
    /// not the bytes that delimit them (the proxy after NIO's decoder, HAR
    /// files). Fields too broken to frame anything leave it `.none`.
    package static func recordedFraming(request method: String, headers: [HeaderField]) -> BodyFraming {
        (try? forRequest(method: method, headers: headers, headOffset: 0))?.recordedFraming ?? .none
    }

    /// The framing a response head declares to a request with `method`;
    /// invalid length fields leave it close-delimited, as RFC 9112 §6.3 does.
    package static func recordedFraming(response status: Int, to method: String?, headers: [HeaderField]) -> BodyFraming {
        (try? forResponse(status: status, requestMethod: method, headers: headers, headOffset: 0))?.recordedFraming ?? .close
    }
}
