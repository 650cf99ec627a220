/// Finds credentials in requests and responses. Pure: headers and bodies in,
/// (location, scheme, value) out. Shared by auth findings, matching and
/// redaction so all three agree on what a credential is.
public struct CredentialLocator: Sendable {
    /// Query parameters that carry a token (compared case-insensitively).
    public var queryNames: Set<String>
    /// Request headers besides Authorization that carry a token.
    public var tokenHeaders: Set<String>
    /// JSON member names in response bodies that issue a token.
    public var issuedBodyKeys: Set<String>
    /// Which cookies are credentials (session cookies yes, analytics no).
    public var cookies: CookieRules = .default

    public static let `default` = CredentialLocator(
        queryNames: ["token", "access_token", "jwt", "id_token", "auth", "api_key", "apikey", "key"],
        tokenHeaders: ["x-api-key", "x-auth-token", "x-access-token", "api-key", "x-csrf-token"],
        issuedBodyKeys: ["access_token", "accesstoken", "id_token", "refresh_token", "token", "jwt", "session_id", "sessionid", "session_token", "sessiontoken", "auth_token", "authtoken"]
    )

    public init(queryNames: Set<String>, tokenHeaders: Set<String>, issuedBodyKeys: Set<String>, cookies: CookieRules = .default) {
        self.queryNames = queryNames
        self.tokenHeaders = tokenHeaders
        self.issuedBodyKeys = issuedBodyKeys
        self.cookies = cookies
    }

    public struct Credential: Hashable, Sendable {
        public var location: String
        public var scheme: AuthFinding.Scheme
        public var schemeName: String?
        /// The credential itself: the token, cookie value or Basic user:password.
        public var value: String
        public var user: String?
    }

    /// Credentials a client presented in a request.
    public func presented(in request: HTTPRequest) -> [Credential] {
        var found: [Credential] = []
        for field in request.headers {
            let name = field.name.lowercased()
            if name == "authorization" || name == "proxy-authorization" {
                found.append(authorization(field.value, location: "header:\(field.name)"))
            } else if name == "sec-websocket-protocol" {
                for element in field.value.split(separator: ",") {
                    let protocolName = element.trimmingSpaces()
                    for jwt in JWT.findAll(in: protocolName) {
                        found.append(Credential(location: "header:\(field.name)", scheme: .jwt, value: jwt.compact))
                    }
                }
            } else if name == "cookie" {
                for (cookie, value) in Self.cookiePairs(field.value) where cookies.isCredential(name: cookie, value: value) {
                    found.append(Credential(location: "cookie:\(cookie)", scheme: JWT(value) != nil ? .jwt : .cookie, value: value))
                }
            } else if tokenHeaders.contains(name) {
                let value = field.value.trimmingSpaces()
                found.append(Credential(location: "header:\(field.name)", scheme: JWT(value) != nil ? .jwt : .token, value: value))
            }
        }
        for (name, value) in Self.queryPairs(request.query) where !value.isEmpty {
            let isJWT = JWT(value) != nil
            if isJWT || queryNames.contains(name.lowercased()) {
                found.append(Credential(location: "query:\(name)", scheme: isJWT ? .jwt : .token, value: value))
            }
        }
        // Engine.IO long-polling: a Socket.IO CONNECT among the packets of a
        // POST body (`40{"token":…}`, U+001E between packets), as browsers send it.
        if case .text(let text)? = request.body, text.contains("40") {
            for packet in text.split(separator: "\u{1E}") where packet.hasPrefix("40") {
                for inMessage in presented(inMessage: .text(String(packet))) {
                    var credential = inMessage.credential
                    credential.location = "body:" + credential.location.dropFirst("message:".count)
                    found.append(credential)
                }
            }
        }
        return found
    }

    /// Credentials a server issued in a response: Set-Cookie values, tokens
    /// in a JSON body (by member name, or any JWT anywhere in it) or in a
    /// form-encoded one (`access_token=…&token_type=bearer`, as some OAuth
    /// servers answer).
    public func issued(in response: HTTPResponse) -> [Credential] {
        var found: [Credential] = []
        for field in response.headers where field.name.lowercased() == "set-cookie" {
            let pair = field.value.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
            guard let eq = pair.firstIndex(of: "=") else { continue }
            let name = pair[..<eq].trimmingSpaces()
            let value = String(pair[pair.index(after: eq)...]).trimmingSpaces()
            guard !value.isEmpty, cookies.isCredential(name: name, value: value) else { continue }
            found.append(Credential(location: "set-cookie:\(name)", scheme: JWT(value) != nil ? .jwt : .cookie, value: value))
        }
        if let text = response.body?.text {
            if let json = try? JSONParser.parse(text) {
                collectIssued(json, path: "$", into: &found)
            } else if let pairs = Self.formPairs(text) {
                collectIssued(.object(pairs.map { ($0.0, .string($0.1)) }), path: "$", into: &found)
            }
        }
        return found
    }

    private func collectIssued(_ value: JSONValue, path: String, into found: inout [Credential]) {
        switch value {
        case .object(let members):
            for (key, member) in members {
                let memberPath = "\(path).\(key)"
                if case .string(let s) = member, !s.isEmpty {
                    if JWT(s) != nil {
                        found.append(Credential(location: "body:\(memberPath)", scheme: .jwt, value: s))
                    } else if issuedBodyKeys.contains(key.lowercased()) {
                        found.append(Credential(location: "body:\(memberPath)", scheme: .token, value: s))
                    }
                } else {
                    collectIssued(member, path: memberPath, into: &found)
                }
            }
        case .array(let elements):
            for (i, element) in elements.enumerated() { collectIssued(element, path: "\(path)[\(i)]", into: &found) }
        case .null, .bool, .number, .string:
            break
        }
    }

    /// An Authorization value (`Bearer …`, `Basic …`, a bare token) as a credential.
    func authorization(_ raw: String, location: String) -> Credential {
        let value = raw.trimmingSpaces()
        guard let space = value.firstIndex(of: " ") else {
            return Credential(location: location, scheme: JWT(value) != nil ? .jwt : .other, value: value)
        }
        let scheme = String(value[..<space])
        let credentials = value[value.index(after: space)...].trimmingSpaces()
        switch scheme.lowercased() {
        case "bearer":
            return Credential(location: location, scheme: .bearer, schemeName: scheme, value: credentials)
        case "basic":
            var user: String?
            if let decoded = Base64.decode(credentials), let text = String(validating: decoded, as: UTF8.self) {
                user = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init)
            }
            return Credential(location: location, scheme: .basic, schemeName: scheme, value: credentials, user: user)
        default:
            return Credential(location: location, scheme: .other, schemeName: scheme, value: credentials)
        }
    }

    /// `name=value` pairs of a Cookie header (RFC 6265 §4.2.1).
    public static func cookiePairs(_ header: String) -> [(String, String)] {
        header.split(separator: ";").compactMap { part in
            guard let eq = part.firstIndex(of: "=") else { return nil }
            return (part[..<eq].trimmingSpaces(), String(part[part.index(after: eq)...]).trimmingSpaces())
        }
    }

    /// The decoded pairs of a form-encoded body (WHATWG URL §5.1), or nil
    /// when the text is not one: only the characters a form encoder writes
    /// (and `:`, which redaction pseudonyms carry), every `&`-separated part a
    /// `name=value`.
    public static func formPairs(_ text: String) -> [(String, String)]? {
        guard !text.isEmpty, text.utf8.allSatisfy(isFormByte) else { return nil }
        let parts = text.split(separator: "&", omittingEmptySubsequences: false)
        guard parts.allSatisfy({ $0.contains("=") && !$0.hasPrefix("=") }) else { return nil }
        return queryPairs(text)
    }

    private static func isFormByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "%"), UInt8(ascii: "+"), UInt8(ascii: "="), UInt8(ascii: "&"), UInt8(ascii: "-"), UInt8(ascii: "_"),
             UInt8(ascii: "."), UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ":"): true
        default: false
        }
    }

    /// Decoded `name=value` pairs of a query string, in order.
    public static func queryPairs(_ query: String?) -> [(String, String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&").map { part in
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (percentDecode(kv[0]), kv.count > 1 ? percentDecode(kv[1]) : "")
        }
    }

    /// Percent-decoding (RFC 3986 §2.1), `+` as space; invalid escapes kept as is.
    public static func percentDecode(_ text: some StringProtocol) -> String {
        var out: [UInt8] = []
        let bytes = Array(text.utf8)
        var i = 0
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case 0x30...0x39: return b - 0x30
            case 0x41...0x46: return b - 0x41 + 10
            case 0x61...0x66: return b - 0x61 + 10
            default: return nil
            }
        }
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count, let h = hex(bytes[i + 1]), let l = hex(bytes[i + 2]) {
                out.append(h << 4 | l)
                i += 3
            } else {
                out.append(bytes[i] == UInt8(ascii: "+") ? UInt8(ascii: " ") : bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
