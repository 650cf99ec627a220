extension Session {
    var json: JSONValue {
        var o = JSONObjectBuilder()
        addMembers(to: &o)
        return o.object
    }

    func addMembers(to o: inout some JSONMemberSink) {
        o.add("id", id)
        o.add("client", client.description)
        o.add("server", server.description)
        o.addIfPresent("outerPath", outerPath)
        o.addTime("start", start)
        if let tls { o.add("tls", tls.json) }
        if let engineIO { o.add("engineIO", engineIO.json) }
        o.add("exchanges", .array(exchanges.map(\.json)))
        if let websocket { o.addObject("websocket") { websocket.addMembers(to: &$0) } }
        o.addIfPresent("end", end?.json)
        o.addIfNotEmpty("anomalies", anomalies.map(\.json))
        o.addIfNotEmpty("auth", auth.map(\.json))
    }

    init(reader r: JSONReader) throws(RecordingError) {
        func endpoint(_ key: String) throws(RecordingError) -> Endpoint {
            let e = try r.require(key)
            guard let endpoint = Endpoint(parsing: try e.string) else {
                throw e.invalid("expected HOST:PORT such as \"10.0.0.1:8080\" or \"[::1]:8080\"")
            }
            return endpoint
        }
        var exchanges: [HTTPExchange] = []
        for e in try r.require("exchanges").elements() { exchanges.append(try HTTPExchange(reader: e)) }
        var anomalies: [Anomaly] = []
        for a in try r.array("anomalies") { anomalies.append(try Anomaly(reader: a)) }
        var auth: [AuthFinding] = []
        for a in try r.array("auth") {
            let finding = try AuthFinding(reader: a)
            guard finding.exchange >= 0 && finding.exchange < exchanges.count else {
                throw try a.require("exchange").invalid("exchange \(finding.exchange) does not exist (the session has \(exchanges.count))")
            }
            auth.append(finding)
        }
        self.init(
            id: try r.string("id"), client: try endpoint("client"), server: try endpoint("server"),
            start: try r.fixed("start"), exchanges: exchanges,
            websocket: try r.optional("websocket").map { w throws(RecordingError) in try WebSocketSession(reader: w) },
            end: try r.optional("end").map { e throws(RecordingError) in try SessionEnd(reader: e) },
            anomalies: anomalies, auth: auth
        )
        outerPath = try r.optional("outerPath")?.string
        tls = try r.optional("tls").map { t throws(RecordingError) in try TLSInfo(reader: t) }
        engineIO = try r.optional("engineIO").map { e throws(RecordingError) in try EngineIOLink(reader: e) }
    }
}

extension SessionEnd {
    var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("kind", kind.rawValue)
        o.addTime("at", at)
        o.addIfPresent("by", by?.rawValue)
        return o.object
    }

    init(reader r: JSONReader) throws(RecordingError) {
        self.init(
            kind: try r.require("kind").enumValue(Kind.self), at: try r.fixed("at"),
            by: try r.optional("by")?.enumValue(Direction.self)
        )
    }
}

extension Anomaly {
    var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("kind", kind.rawValue)
        o.addIfPresent("direction", direction?.rawValue)
        if let at { o.addTime("at", at) }
        o.add("detail", detail)
        o.addIfPresent("bytes", bytes)
        o.addIfPresent("data", data?.json)
        return o.object
    }

    init(reader r: JSONReader) throws(RecordingError) {
        self.init(
            kind: try r.require("kind").enumValue(Kind.self),
            direction: try r.optional("direction")?.enumValue(Direction.self),
            at: try r.optionalFixed("at"), detail: try r.string("detail"), bytes: try r.optionalInt("bytes"),
            data: try r.optional("data").map { d throws(RecordingError) in try Body(reader: d) }
        )
    }
}

extension Body {
    var json: JSONValue {
        switch self {
        case .text(let s): return .object([("text", .string(s))])
        case .binary(let b): return .object([("base64", .string(Base64.encode(b)))])
        }
    }

    init(reader r: JSONReader) throws(RecordingError) {
        if let text = r.optional("text") {
            self = .text(try text.string)
        } else if let b64 = r.optional("base64") {
            guard let bytes = Base64.decode(try b64.string) else { throw b64.invalid("not valid base64") }
            self = .binary(bytes)
        } else {
            guard case .object = r.value else { throw r.wrongType("an object with \"text\" or \"base64\"") }
            throw RecordingError(.missingField, at: r.path, "a body needs \"text\" or \"base64\"")
        }
    }
}

extension Array where Element == HeaderField {
    var json: JSONValue { .array(map { .array([.string($0.name), .string($0.value)]) }) }

    init(reader r: JSONReader) throws(RecordingError) {
        var fields: [HeaderField] = []
        for element in try r.elements() {
            let pair = try element.elements()
            guard pair.count == 2 else { throw element.invalid("a header field is [\"Name\", \"value\"]") }
            let name = try pair[0].string
            guard !name.isEmpty, name.utf8.allSatisfy(isTokenByte) else {
                throw pair[0].invalid("\"\(name)\" is not a valid header field name (RFC 9110 §5.1)")
            }
            fields.append(HeaderField(name, try pair[1].string))
        }
        self = fields
    }
}

/// tchar (RFC 9110 §5.6.2).
func isTokenByte(_ b: UInt8) -> Bool {
    switch b {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
        return true
    default:
        return "!#$%&'*+-.^_`|~".utf8.contains(b)
    }
}
