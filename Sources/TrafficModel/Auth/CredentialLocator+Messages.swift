/// Credentials a client sends inside a WebSocket message instead of a header:
/// an auth message (`{"type":"auth","token":…}`), graphql-ws
/// `connection_init` (`payload.authorization`, `payload.token`), a
/// Socket.IO CONNECT (`40{"token":…}`, `40/chat,{"token":…}`). Only these
/// known shapes are looked at: a token-like string anywhere else in a
/// message is data, not a credential the server judged.
extension CredentialLocator {
    /// Member names that carry a credential in a message (compared lowercased).
    public static let messageTokenKeys: Set<String> = ["token", "access_token", "auth", "authorization", "jwt", "bearer"]

    /// A credential inside a message, and where its string sits in the message's JSON document.
    public struct MessageCredential: Hashable, Sendable {
        public var credential: Credential
        /// Member names from the document's root down to the string.
        public var path: [String]
    }

    /// A message's JSON document and the packet prefix before it (`40`,
    /// `42/chat,`, `421`; empty for a plain JSON message), or nil when the
    /// message is not JSON with at most such a prefix.
    public static func messageDocument(_ payload: Body) -> (prefix: String, json: JSONValue)? {
        guard case .text(let text) = payload, !text.isEmpty else { return nil }
        if let json = try? JSONParser.parse(text) { return ("", json) }
        // Engine.IO/Socket.IO: packet type digits, an optional `/namespace,`, an optional ack id.
        var index = text.startIndex
        while index < text.endIndex, text[index].isASCII, text[index].isNumber { index = text.index(after: index) }
        guard index > text.startIndex, index < text.endIndex else { return nil }
        if text[index] == "/" {
            guard let comma = text[index...].firstIndex(of: ",") else { return nil }
            index = text.index(after: comma)
            while index < text.endIndex, text[index].isASCII, text[index].isNumber { index = text.index(after: index) }
        }
        guard index < text.endIndex, text[index] == "{" || text[index] == "[",
              let json = try? JSONParser.parse(String(text[index...]))
        else { return nil }
        return (String(text[..<index]), json)
    }

    /// Credentials a client presented inside a message, at the known shapes.
    public func presented(inMessage payload: Body) -> [MessageCredential] {
        guard Self.mayNameCredential(payload) else { return [] }
        guard let (prefix, json) = Self.messageDocument(payload), case .object(let members) = json else { return [] }
        let root = prefix.isEmpty ? "$" : "\(prefix)$"
        if !prefix.isEmpty {
            // Socket.IO CONNECT (Engine.IO message 4, Socket.IO packet 0): its data is the auth object.
            guard prefix == "40" || (prefix.hasPrefix("40/") && prefix.hasSuffix(",")) else { return [] }
            return credentials(in: members, path: [], root: root)
        }
        var found = credentials(in: members, path: [], root: root)
        if json["type"]?.stringValue == "connection_init", case .object(let payload)? = json["payload"] {
            found += credentials(in: payload, path: ["payload"], root: root)
            // Apollo-style clients nest the headers they would have sent.
            if case .object(let headers)? = json["payload"]?["headers"] {
                found += credentials(in: headers, path: ["payload", "headers"], root: root)
            }
        }
        return found
    }

    private func credentials(in members: [(String, JSONValue)], path: [String], root: String) -> [MessageCredential] {
        var found: [MessageCredential] = []
        for (key, value) in members {
            guard Self.messageTokenKeys.contains(key.lowercased()), case .string(let text) = value else { continue }
            let location = "message:" + ([root] + path + [key]).joined(separator: ".")
            let credential: Credential
            if text.contains(" ") {
                // `Authorization: "Bearer …"`, as a header would carry it.
                credential = authorization(text, location: location)
            } else {
                credential = Credential(location: location, scheme: JWT(text) != nil ? .jwt : .token, value: text)
            }
            guard Self.looksLikeToken(credential.value) else { continue }
            found.append(MessageCredential(credential: credential, path: path + [key]))
        }
        return found
    }

    /// A JWT, or an opaque token: at least 8 printable ASCII characters
    /// without spaces (so `"auth": "yes"` or an empty string is not one).
    static func looksLikeToken(_ value: String) -> Bool {
        if JWT(value) != nil { return true }
        return value.utf8.count >= 8 && value.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    /// Member names that may be one of `messageTokenKeys`.
    static let messageKeyNames = MemberNameScan(keys: messageTokenKeys)!

    /// False when no member of the message can be named like one of
    /// `messageTokenKeys` (`MemberNameScan`), so it cannot carry a credential
    /// at a known shape. Parsing every client message only to find none was
    /// the largest single cost of importing a WebSocket capture (16% of its
    /// CPU time, on 70 KB messages); this scan is a vector compare per
    /// sixteen bytes between quotes.
    static func mayNameCredential(_ payload: Body) -> Bool {
        guard case .text(var text) = payload else { return false }
        return text.withUTF8 { messageKeyNames.mayNameKey($0) }
    }
}
