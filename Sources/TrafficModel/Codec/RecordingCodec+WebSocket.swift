extension WebSocketSession {
    var json: JSONValue {
        var o = JSONObjectBuilder()
        addMembers(to: &o)
        return o.object
    }

    func addMembers(to o: inout some JSONMemberSink) {
        o.addIfPresent("subprotocol", subprotocol)
        o.addIfPresent("extensions", extensions)
        o.addObjects("messages", messages) { message, sink in message.addMembers(to: &sink) }
    }

    init(reader r: JSONReader) throws(RecordingError) {
        var messages: [WebSocketMessage] = []
        for m in try r.require("messages").elements() { messages.append(try WebSocketMessage(reader: m)) }
        self.init(subprotocol: try r.optionalString("subprotocol"), extensions: try r.optionalString("extensions"), messages: messages)
    }
}

extension WebSocketMessage {
    var json: JSONValue {
        var o = JSONObjectBuilder()
        addMembers(to: &o)
        return o.object
    }

    func addMembers(to o: inout some JSONMemberSink) {
        o.add("direction", direction.rawValue)
        o.addTime("at", at)
        o.add("opcode", opcode.rawValue)
        if opcode == .close {
            o.addIfPresent("code", closeCode)
            switch payload {
            case .text(let reason): if !reason.isEmpty { o.add("reason", reason) }
            case .binary(let bytes): o.add("base64", Base64.encode(bytes))
            }
        } else {
            switch payload {
            case .text(let s): o.add("text", s)
            case .binary(let b): o.add("base64", Base64.encode(b))
            }
        }
        if compressed { o.add("compressed", .bool(true)) }
        if let frames { o.add("frames", .array(frames.map(\.json))) }
    }

    init(reader r: JSONReader) throws(RecordingError) {
        let opcode = try r.require("opcode").enumValue(WebSocketOpcode.self)
        let payload: Body
        if let b64 = r.optional("base64") {
            guard let bytes = Base64.decode(try b64.string) else { throw b64.invalid("not valid base64") }
            payload = .binary(bytes)
        } else if opcode == .close {
            payload = .text(try r.optionalString("reason") ?? "")
        } else if let text = r.optional("text") {
            payload = .text(try text.string)
        } else if opcode == .ping || opcode == .pong {
            payload = .text("")
        } else {
            throw RecordingError(.missingField, at: r.child("text"), "a \(opcode.rawValue) message needs \"text\" or \"base64\"")
        }
        var closeCode: Int?
        if let code = r.optional("code") {
            guard opcode == .close else { throw code.invalid("only close frames carry a code") }
            closeCode = try code.int
            guard (0...65535).contains(closeCode!) else { throw code.invalid("\(closeCode!) is not a 16-bit close code") }
        }
        var frames: [WebSocketFrameInfo]?
        if let f = r.optional("frames") {
            frames = []
            for element in try f.elements() { frames!.append(try WebSocketFrameInfo(reader: element)) }
        }
        self.init(
            direction: try r.require("direction").enumValue(Direction.self), at: try r.fixed("at"),
            opcode: opcode, payload: payload, closeCode: closeCode,
            compressed: try r.optionalBool("compressed") ?? false, frames: frames
        )
    }
}

extension WebSocketFrameInfo {
    var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("fin", .bool(fin))
        o.add("opcode", opcode.rawValue)
        if rsv != 0 { o.add("rsv", Int(rsv)) }
        o.add("length", length)
        o.add("masked", .bool(masked))
        return o.object
    }

    init(reader r: JSONReader) throws(RecordingError) {
        let rsv = r.optional("rsv")
        var rsvValue = 0
        if let rsv {
            rsvValue = try rsv.int
            guard (0...7).contains(rsvValue) else { throw rsv.invalid("rsv is 3 bits (0...7)") }
        }
        let length = try r.require("length")
        guard try length.int >= 0 else { throw length.invalid("a length cannot be negative") }
        self.init(
            fin: try r.require("fin").bool, opcode: try r.require("opcode").enumValue(WebSocketOpcode.self),
            rsv: UInt8(rsvValue), length: try length.int, masked: try r.require("masked").bool
        )
    }
}
