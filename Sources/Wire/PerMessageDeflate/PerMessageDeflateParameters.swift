/// The permessage-deflate parameters a server accepted (RFC 7692 §7.1).
public struct PerMessageDeflateParameters: Hashable, Sendable {
    /// The server resets its compression context after each message, so
    /// server-to-client messages are inflated independently.
    public var serverNoContextTakeover: Bool
    /// The client resets its compression context after each message.
    public var clientNoContextTakeover: Bool
    /// LZ77 window of the server's compressor, 8...15.
    public var serverMaxWindowBits: Int
    /// LZ77 window of the client's compressor, 8...15.
    public var clientMaxWindowBits: Int

    public init(
        serverNoContextTakeover: Bool = false, clientNoContextTakeover: Bool = false,
        serverMaxWindowBits: Int = 15, clientMaxWindowBits: Int = 15
    ) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
    }

    /// Parses the `Sec-WebSocket-Extensions` value of the 101 response.
    ///
    /// Returns nil when the header is absent or does not accept
    /// permessage-deflate; throws when it accepts it with parameters a client
    /// would have to reject (RFC 7692 §7.1: unknown or repeated parameters,
    /// bad window sizes, the extension accepted twice).
    public static func negotiated(fromResponseHeader value: String?) throws(WireError) -> PerMessageDeflateParameters? {
        guard let value else { return nil }
        var result: PerMessageDeflateParameters?
        for element in ExtensionHeaderTokenizer.elements(of: value) {
            guard let name = element.first?.name, name.lowercased() == "permessage-deflate" else { continue }
            guard result == nil else {
                throw WireError(code: .invalidDeflateNegotiation, reason: "permessage-deflate is accepted more than once in \"\(value)\"")
            }
            result = try parameters(element.dropFirst(), header: value)
        }
        return result
    }

    private static func parameters(
        _ items: ArraySlice<ExtensionHeaderTokenizer.Parameter>, header: String
    ) throws(WireError) -> PerMessageDeflateParameters {
        var parameters = PerMessageDeflateParameters()
        var seen: Set<String> = []
        for item in items {
            let name = item.name.lowercased()
            guard seen.insert(name).inserted else {
                throw WireError(code: .invalidDeflateNegotiation, reason: "permessage-deflate parameter \(name) appears twice in \"\(header)\"")
            }
            switch name {
            case "server_no_context_takeover", "client_no_context_takeover":
                guard item.value == nil else {
                    throw WireError(code: .invalidDeflateNegotiation, reason: "permessage-deflate parameter \(name) takes no value, got \"\(item.value ?? "")\"")
                }
                if name == "server_no_context_takeover" {
                    parameters.serverNoContextTakeover = true
                } else {
                    parameters.clientNoContextTakeover = true
                }
            case "server_max_window_bits", "client_max_window_bits":
                // RFC 7692 §7.1.2: in a response both need a value 8...15.
                guard let text = item.value, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                    let bits = Int(text), (8...15).contains(bits)
                else {
                    throw WireError(
                        code: .invalidDeflateNegotiation,
                        reason: "permessage-deflate parameter \(name) needs a value from 8 to 15, got \(item.value.map { "\"\($0)\"" } ?? "none")"
                    )
                }
                if name == "server_max_window_bits" {
                    parameters.serverMaxWindowBits = bits
                } else {
                    parameters.clientMaxWindowBits = bits
                }
            default:
                throw WireError(code: .invalidDeflateNegotiation, reason: "unknown permessage-deflate parameter \(item.name) in \"\(header)\"")
            }
        }
        return parameters
    }
}

/// Splits a `Sec-WebSocket-Extensions` value (RFC 6455 §9.1) into extensions,
/// each a list of `name[=value]` items whose first item is the extension name.
/// Quoted values may hold commas and semicolons.
package enum ExtensionHeaderTokenizer {
    package struct Parameter: Hashable {
        package var name: String
        package var value: String?
    }

    package static func elements(of header: String) -> [[Parameter]] {
        var elements: [[Parameter]] = []
        var current: [Parameter] = []
        var token: [Character] = []
        var quoted = false
        var escaped = false

        func endItem() {
            let text = String(token).trimmingWhitespace()
            token.removeAll()
            guard !text.isEmpty else { return }
            if let equals = text.firstIndex(of: "=") {
                var value = String(text[text.index(after: equals)...]).trimmingWhitespace()
                if value.count >= 2, value.first == "\"", value.last == "\"" {
                    value = String(value.dropFirst().dropLast()).replacingBackslashEscapes()
                }
                current.append(Parameter(name: String(text[..<equals]).trimmingWhitespace(), value: value))
            } else {
                current.append(Parameter(name: text, value: nil))
            }
        }

        for character in header {
            if quoted {
                token.append(character)
                if escaped {
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == "\"" {
                    quoted = false
                }
                continue
            }
            switch character {
            case "\"":
                quoted = true
                token.append(character)
            case ";":
                endItem()
            case ",":
                endItem()
                if !current.isEmpty { elements.append(current) }
                current = []
            default:
                token.append(character)
            }
        }
        endItem()
        if !current.isEmpty { elements.append(current) }
        return elements
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }

    fileprivate func replacingBackslashEscapes() -> String {
        var result = ""
        var escaped = false
        for character in self {
            if escaped || character != "\\" {
                result.append(character)
                escaped = false
            } else {
                escaped = true
            }
        }
        return result
    }
}
