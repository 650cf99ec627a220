import TrafficModel

// Starting a message once its head is complete.
extension HTTP1Parser {
    /// Parses the head `[headStart, headEnd)`, frames the body and moves to
    /// the state that reads it.
    package mutating func beginMessage(headStart: Int, headEnd: Int) throws(WireError) {
        let role = role
        let (startLine, headers) = try withReader { reader throws(WireError) in
            try reader.parseHead(role: role, from: headStart, to: headEnd)
        }

        let framing: HTTP1BodyLength
        switch startLine {
        case .request(let method, _, _):
            framing = try HTTP1BodyLength.forRequest(method: method, headers: headers, headOffset: headStart)
            let upgrades = method == "CONNECT" || headers.contains { HTTP1BodyLength.isNamed($0, "upgrade") }
            afterCurrent = upgrades ? .awaitUpgradeDecision : .continueHTTP
        case .response(_, let status, _):
            let method = requestMethodsHead < requestMethods.count ? requestMethods[requestMethodsHead] : nil
            // An interim 1xx answers nothing yet: the final response that
            // follows still answers the same request.
            if status >= 200 || status == 101, method != nil {
                requestMethodsHead += 1
                if requestMethodsHead >= 32 && requestMethodsHead * 2 >= requestMethods.count {
                    requestMethods.removeFirst(requestMethodsHead)
                    requestMethodsHead = 0
                }
            }
            framing = try HTTP1BodyLength.forResponse(status: status, requestMethod: method, headers: headers, headOffset: headStart)
            afterCurrent = .continueHTTP
        }

        var message = HTTP1Message(startLine: startLine, headers: headers, startOffset: headStart, endOffset: headEnd, bodyOffset: headEnd)
        consumed = headEnd
        switch framing {
        case .none:
            state = .fixedBody(remaining: 0)
        case .switchProtocols:
            afterCurrent = .switchProtocols
            state = .fixedBody(remaining: 0)
        case .contentLength(let length):
            message.framing = .contentLength
            state = .fixedBody(remaining: length)
        case .chunked:
            message.framing = .chunked
            state = .chunkSizeLine(scanFrom: headEnd)
        case .untilClose:
            message.framing = .close
            state = .untilClose
        }
        current = message
    }
}
