import TrafficModel
import Wire

/// The field-level rules of HAR 1.2 and what browsers actually write.
extension HAREntry {
    /// ISO 8601 with fraction and offset; also `+0100` (no colon), which some exporters write.
    static func timestamp(_ text: String) -> Timestamp? {
        if let t = Timestamp(iso8601: text) { return t }
        var b = Array(text.utf8)
        guard b.count >= 5 else { return nil }
        let sign = b[b.count - 5]
        guard sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-"), b[(b.count - 4)...].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        b.insert(UInt8(ascii: ":"), at: b.count - 2)
        return Timestamp(iso8601: String(decoding: b, as: UTF8.self))
    }

    /// When the request was sent and the response complete, in seconds after
    /// `startedDateTime`: `blocked + dns + connect + send` (ssl is inside
    /// connect), and the entry's `time` (its total), each -1 meaning absent.
    static func timing(_ entry: JSONValue) -> (request: Double, response: Double) {
        // Durations past a year are nonsense (and would overflow microseconds).
        func usable(_ v: Double?) -> Double? { v.flatMap { $0 >= 0 && $0 < 3.2e10 ? $0 : nil } }
        func ms(_ name: String) -> Double { usable(entry["timings"]?[name]?.doubleValue) ?? 0 }
        let request = (ms("blocked") + ms("dns") + ms("connect") + ms("send")) / 1000
        let total = usable(entry["time"]?.doubleValue).map { $0 / 1000 } ?? request + (ms("wait") + ms("receive")) / 1000
        return (request, max(request, total))
    }

    /// `HTTP/2`, `HTTP/3`, `HTTP/1.x`; an empty version (Safari, Firefox for
    /// cached entries) is taken as HTTP/1.1, the version replay speaks.
    static func version(_ text: String?) -> String {
        switch (text ?? "").lowercased() {
        case "", "http/1.1": return "HTTP/1.1"
        case "http/1.0": return "HTTP/1.0"
        case "http/2", "http/2.0", "h2", "h2c": return "HTTP/2"
        case "http/3", "http/3.0", "h3": return "HTTP/3"
        default: return text ?? "HTTP/1.1"
        }
    }

    /// Header fields in order and case; HTTP/2 and HTTP/3 pseudo-headers
    /// (`:authority`, `:path`, …) are left out, `:authority` is kept aside for Host.
    static func headers(_ value: JSONValue?, anomalies: inout [Anomaly], direction: Direction) -> (fields: [HeaderField], authority: String?) {
        var fields: [HeaderField] = []
        var authority: String?
        for (i, item) in (value?.arrayValue ?? []).enumerated() {
            guard let name = item["name"]?.stringValue, name.hasPrefix(":") || isToken(name) else {
                anomalies.append(Anomaly(
                    kind: .malformedHTTP, direction: direction, detail: "header \(i) has no valid field name (RFC 9110 §5.1); left out",
                    data: .text(JSONWriter.compact(item))
                ))
                continue
            }
            let value: String
            switch item["value"] {
            case .string(let s)?: value = s
            case .number(let n)?: value = n
            case .bool(let b)?: value = b ? "true" : "false"
            case nil, .null?: value = ""
            case .array?, .object?:
                value = JSONWriter.compact(item["value"]!)
            }
            if name.hasPrefix(":") {
                if name == ":authority" { authority = value }
                continue
            }
            fields.append(HeaderField(name, value))
        }
        return (fields, authority)
    }

    /// A token (RFC 9110 §5.6.2): what a method or a field name must be.
    static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { b in
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default:
                return Array("!#$%&'*+-.^_`|~".utf8).contains(b)
            }
        }
    }

    /// HTTP/1.1 requires Host; HTTP/2 exports carry `:authority` instead.
    static func fixHost(_ fields: inout [HeaderField], authority: String) {
        guard fields.first("Host") == nil else { return }
        fields.insert(HeaderField("Host", authority), at: 0)
    }

    /// `postData.text`, or its `params` form-encoded when the text is absent.
    static func postData(_ value: JSONValue?) -> Body? {
        guard let value, case .object = value else { return nil }
        if let text = value["text"]?.stringValue {
            // HAR 1.2 has no encoding for postData; `authreplay export har` writes a
            // binary body base64 with `encoding` as `content` has it.
            if value["encoding"]?.stringValue?.lowercased() == "base64", let bytes = Base64.decode(text.filter { !$0.isWhitespace }) {
                return bytes.isEmpty ? nil : Body(bytes: bytes)
            }
            return text.isEmpty ? nil : .text(text)
        }
        guard let params = value["params"]?.arrayValue, !params.isEmpty else { return nil }
        let pairs = params.compactMap { p -> String? in
            guard let name = p["name"]?.stringValue else { return nil }
            return formEncode(name) + "=" + formEncode(p["value"]?.stringValue ?? "")
        }
        return pairs.isEmpty ? nil : .text(pairs.joined(separator: "&"))
    }

    /// application/x-www-form-urlencoded (WHATWG URL §5.2).
    static func formEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]], as: UTF8.self)
            }
        }
        return out
    }

    /// The HAR does not say how a body was delimited; the headers do (the one
    /// RFC 9112 §6.3 rule, in Wire). An HTTP/2 or HTTP/3 entry has no length
    /// fields at all: a body there counts as sized, as a replay sends it.
    static func framing(_ headers: [HeaderField], body: Body?) -> BodyFraming {
        guard let body, body.count > 0 else { return .none }
        switch HTTP1BodyLength.recordedFraming(request: "POST", headers: headers) {
        case .chunked: return .chunked
        case .none, .contentLength, .close: return .contentLength
        }
    }

    /// One `_webSocketMessages` item (Chrome's format): `type` send/receive,
    /// `time` in epoch seconds, `opcode`, `data` (base64 for binary).
    static func message(_ item: JSONValue) -> Result<(Double, WebSocketMessage), CaptureError> {
        let direction: Direction
        switch item["type"]?.stringValue {
        case "send"?: direction = .client
        case "receive"?: direction = .server
        case let other: return .failure(.harEntry("\"type\" is \(other.map { "\"\($0)\"" } ?? "missing"), not send or receive"))
        }
        guard let time = item["time"]?.doubleValue, time >= 0, time < 1e11 else { return .failure(.harEntry("\"time\" is missing or not epoch seconds")) }
        guard let code = item["opcode"]?.intValue, (0...15).contains(code), let opcode = WebSocketOpcode(code: UInt8(code)) else {
            return .failure(.harEntry("\"opcode\" is missing or not one RFC 6455 defines"))
        }
        let data = item["data"]?.stringValue ?? ""
        var payload = Body.text(data)
        var closeCode: Int?
        switch opcode {
        case .binary:
            guard let bytes = Base64.decode(data) else { return .failure(.harEntry("binary \"data\" is not base64")) }
            payload = Body(bytes: bytes)
        case .close:
            // Exporters that record close frames write the reason; a leading
            // "1000 " style code is not a convention, so the code stays unknown.
            closeCode = item["code"]?.intValue.flatMap { (0...65535).contains($0) ? $0 : nil }
        case .text, .continuation, .ping, .pong:
            break
        }
        return .success((time, WebSocketMessage(direction: direction, at: 0, opcode: opcode, payload: payload, closeCode: closeCode)))
    }
}
