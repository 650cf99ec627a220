extension HTTPExchange {
    var json: JSONValue {
        .object([("request", request.json), ("response", response?.json ?? .null)])
    }

    init(reader r: JSONReader) throws(RecordingError) {
        self.init(
            request: try HTTPRequest(reader: try r.require("request")),
            response: try r.optional("response").map { x throws(RecordingError) in try HTTPResponse(reader: x) }
        )
    }
}

extension HTTPRequest {
    var json: JSONValue {
        var o = JSONObjectBuilder()
        o.addTime("at", at)
        o.add("method", method)
        o.add("target", target)
        o.add("version", version)
        o.add("headers", headers.json)
        o.addIfPresent("body", body?.json)
        if framing != .none { o.add("framing", framing.rawValue) }
        if !trailers.isEmpty { o.add("trailers", trailers.json) }
        return o.object
    }

    init(reader r: JSONReader) throws(RecordingError) {
        let method = try r.require("method")
        guard let m = try? method.string, !m.isEmpty, m.utf8.allSatisfy(isTokenByte) else {
            if (try? method.string) == nil { throw method.wrongType("a string") }
            throw method.invalid("\"\(try method.string)\" is not an HTTP method")
        }
        let target = try r.require("target")
        guard !(try target.string).isEmpty else { throw target.invalid("the request target is empty") }
        self.init(
            at: try r.fixed("at"), method: m, target: try target.string,
            version: try r.optionalString("version") ?? "HTTP/1.1",
            headers: try [HeaderField](reader: try r.require("headers")),
            body: try r.optional("body").map { b throws(RecordingError) in try Body(reader: b) },
            framing: try r.optional("framing")?.enumValue(BodyFraming.self) ?? .none,
            trailers: try r.optional("trailers").map { t throws(RecordingError) in try [HeaderField](reader: t) } ?? []
        )
    }
}

extension HTTPResponse {
    var json: JSONValue {
        var o = JSONObjectBuilder()
        o.addTime("at", at)
        o.add("version", version)
        o.add("status", status)
        o.add("reason", reason)
        o.add("headers", headers.json)
        o.addIfPresent("body", body?.json)
        if framing != .none { o.add("framing", framing.rawValue) }
        if !trailers.isEmpty { o.add("trailers", trailers.json) }
        o.addIfNotEmpty("interim", interim.map(\.json))
        // Last and only when present: recordings without streams keep their bytes.
        o.addIfPresent("stream", stream?.json)
        return o.object
    }

    init(reader r: JSONReader) throws(RecordingError) {
        let status = try r.require("status")
        let code = try status.int
        guard (100...999).contains(code) else { throw status.invalid("\(code) is not a three-digit HTTP status") }
        var interim: [InterimResponse] = []
        for i in try r.array("interim") { interim.append(try InterimResponse(reader: i)) }
        self.init(
            at: try r.fixed("at"), version: try r.optionalString("version") ?? "HTTP/1.1", status: code,
            reason: try r.optionalString("reason") ?? "",
            headers: try [HeaderField](reader: try r.require("headers")),
            body: try r.optional("body").map { b throws(RecordingError) in try Body(reader: b) },
            framing: try r.optional("framing")?.enumValue(BodyFraming.self) ?? .none,
            trailers: try r.optional("trailers").map { t throws(RecordingError) in try [HeaderField](reader: t) } ?? [],
            interim: interim,
            stream: try r.optional("stream").map { x throws(RecordingError) in try ResponseStream(reader: x) }
        )
    }
}

extension InterimResponse {
    var json: JSONValue {
        .object([("at", .fixed(at)), ("status", .int(status)), ("reason", .string(reason)), ("headers", headers.json)])
    }

    init(reader r: JSONReader) throws(RecordingError) {
        self.init(
            at: try r.fixed("at"), status: try r.int("status"), reason: try r.optionalString("reason") ?? "",
            headers: try [HeaderField](reader: try r.require("headers"))
        )
    }
}
