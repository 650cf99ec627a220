extension RedactionPass {
    // MARK: Values

    /// A value in a credential position: a JWT keeps its shape, anything else
    /// becomes a `redacted:` pseudonym. Pseudonyms are left alone.
    mutating func credential(_ value: String, rule: String) -> String {
        if Pseudonymizer.isPseudonym(value) {
            seen.append((rule, value))
            return value
        }
        if value.isEmpty { return value }
        if let jwt = JWT(value) { return self.jwt(jwt) }
        count(rule)
        return pseudonymizer.pseudonym(for: value)
    }

    /// The token with its signature (and any configured claims) pseudonymized.
    mutating func jwt(_ jwt: JWT) -> String {
        var encodedClaims = jwt.encodedClaims
        if !rules.redactClaims.isEmpty, case .object(let members) = jwt.claims {
            var changed = false
            let redacted = members.map { name, value in
                guard rules.redactClaims.contains(name) else { return (name, value) }
                let pseudonym = claimPseudonym(value)
                if pseudonym != value {
                    changed = true
                    count("claim:\(name)")
                }
                return (name, pseudonym)
            }
            if changed {
                encodedClaims = Base64.encode(Array(JSONWriter.compact(.object(redacted)).utf8), url: true, padding: false)
            }
        }
        var signature = jwt.encodedSignature
        if !signature.isEmpty, !Pseudonymizer.isRedactedSignature(signature) {
            signature = pseudonymizer.signature(for: signature)
            count("jwt-signature")
        }
        return "\(jwt.encodedHeader).\(encodedClaims).\(signature)"
    }

    func claimPseudonym(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let s):
            return Pseudonymizer.isPseudonym(s) ? value : .string(pseudonymizer.pseudonym(for: s))
        case .null:
            return value
        case .bool, .number, .array, .object:
            return .string(pseudonymizer.pseudonym(for: JSONWriter.compact(value)))
        }
    }

    /// Free text: every JWT, well-known secret format and configured regex match.
    mutating func text(_ text: String) -> String {
        if usesPrescan {
            var copy = text
            if !copy.withUTF8({ rules.prescan.textMayChange($0) }) { return text }
        }
        var out = text
        // A token this pass (or an earlier one) redacted would come back
        // unchanged; skipping it saves decoding every credential twice.
        for found in JWT.findAll(in: out, skippingRedacted: rules.redactClaims.isEmpty) {
            let redacted = jwt(found)
            if redacted != found.compact { out = out.replacing(found.compact, with: redacted) }
        }
        let matches = SecretPattern.find(in: out)
        if !matches.isEmpty {
            var bytes = Array(out.utf8)
            for match in matches.reversed() {
                let secret = String(decoding: bytes[match.range], as: UTF8.self)
                bytes.replaceSubrange(match.range, with: Array(pseudonymizer.pseudonym(for: secret).utf8))
                count("pattern:\(match.pattern.rawValue)")
            }
            out = String(decoding: bytes, as: UTF8.self)
        }
        for compiled in rules.compiledRegexes {
            out = regex(compiled, in: out)
        }
        return out
    }

    private mutating func regex(_ compiled: CompiledRegex, in text: String) -> String {
        var out = ""
        var rest = text[...]
        var changed = false
        for match in text.matches(of: compiled.regex) where !match.range.isEmpty {
            let found = text[match.range]
            // Keep pseudonyms (and matches inside them) as they are, so redacting twice changes nothing.
            let before = text[..<match.range.lowerBound]
            if Pseudonymizer.isPseudonym(found) || before.hasSuffix(Pseudonymizer.marker) || isInsidePseudonym(before) { continue }
            out += text[rest.startIndex..<match.range.lowerBound]
            out += pseudonymizer.pseudonym(for: String(found))
            rest = text[match.range.upperBound...]
            changed = true
            count("regex:\(compiled.source)")
        }
        return changed ? out + rest : text
    }

    /// True when `before` ends inside `redacted:<hex>`.
    private func isInsidePseudonym(_ before: Substring) -> Bool {
        let tail = before.reversed().prefix { $0.isHexDigit && !$0.isUppercase }
        return tail.count < 16 && before.dropLast(tail.count).hasSuffix(Pseudonymizer.marker)
    }

    // MARK: Headers

    mutating func headers(_ fields: [HeaderField]) -> [HeaderField] {
        fields.map { field in
            let name = field.name.lowercased()
            let value: String
            switch name {
            case "authorization", "proxy-authorization":
                value = authorization(field.value)
            case "cookie":
                value = cookie(field.value)
            case "set-cookie":
                value = setCookie(field.value)
            default:
                if rules.headers.contains(name) {
                    value = Self.preservingSpaces(field.value) { credential($0, rule: "header:\(name)") }
                } else {
                    value = field.value
                }
            }
            return HeaderField(field.name, text(value))
        }
    }

    /// `Scheme credentials` with the scheme word kept; Basic keeps the user name.
    private mutating func authorization(_ raw: String) -> String {
        Self.preservingSpaces(raw) { value in
            guard let space = value.firstIndex(of: " ") else { return credential(value, rule: "authorization") }
            let scheme = value[..<space]
            let rest = value[value.index(after: space)...]
            let leading = rest.prefix { $0 == " " }
            let credentials = String(rest.dropFirst(leading.count))
            if scheme.lowercased() == "basic" { return "\(scheme) \(leading)\(basic(credentials))" }
            return "\(scheme) \(leading)\(credential(credentials, rule: "authorization"))"
        }
    }

    private mutating func basic(_ credentials: String) -> String {
        guard let decoded = Base64.decode(credentials), let text = String(validating: decoded, as: UTF8.self),
              let colon = text.firstIndex(of: ":")
        else { return credential(credentials, rule: "authorization") }
        let password = String(text[text.index(after: colon)...])
        if Pseudonymizer.isPseudonym(password) {
            seen.append(("authorization", password))
            return credentials
        }
        count("authorization")
        return Base64.encode(Array("\(text[..<colon]):\(pseudonymizer.pseudonym(for: password))".utf8))
    }

    private mutating func cookie(_ raw: String) -> String {
        raw.split(separator: ";", omittingEmptySubsequences: false).map { part in
            guard let eq = part.firstIndex(of: "="), rules.cookies.mayCarrySecret(name: part[..<eq].trimmingSpaces()) else { return String(part) }
            let value = part[part.index(after: eq)...]
            return String(part[...eq]) + Self.preservingSpaces(String(value)) { credential($0, rule: "cookie") }
        }.joined(separator: ";")
    }

    private mutating func setCookie(_ raw: String) -> String {
        let end = raw.firstIndex(of: ";") ?? raw.endIndex
        let pair = raw[..<end]
        guard let eq = pair.firstIndex(of: "="), rules.cookies.mayCarrySecret(name: pair[..<eq].trimmingSpaces()) else { return raw }
        let value = Self.preservingSpaces(String(pair[pair.index(after: eq)...])) { credential($0, rule: "set-cookie") }
        return String(pair[...eq]) + value + raw[end...]
    }

    /// Applies `transform` to `raw` without its surrounding spaces, which are kept.
    private static func preservingSpaces(_ raw: String, _ transform: (String) -> String) -> String {
        let leading = raw.prefix { $0 == " " || $0 == "\t" }
        let trailing = raw.reversed().prefix { $0 == " " || $0 == "\t" }
        guard leading.count < raw.count else { return raw }
        let inner = String(raw.dropFirst(leading.count).dropLast(trailing.count))
        return String(leading) + transform(inner) + String(trailing.reversed())
    }

    // MARK: Targets, bodies, documents

    mutating func target(_ target: String) -> String {
        guard let q = target.firstIndex(of: "?") else { return text(target) }
        let path = text(String(target[..<q]))
        return path + "?" + text(form(String(target[target.index(after: q)...]), names: rules.queryNames, rule: "query"))
    }

    /// `name=value&…` with the values of `names` redacted; everything else byte for byte.
    private mutating func form(_ query: String, names: Set<String>, rule: String) -> String {
        query.split(separator: "&", omittingEmptySubsequences: false).map { part in
            guard let eq = part.firstIndex(of: "=") else { return String(part) }
            let name = CredentialLocator.percentDecode(part[..<eq])
            guard names.contains(name.lowercased()) else { return String(part) }
            let value = CredentialLocator.percentDecode(part[part.index(after: eq)...])
            let redacted = credential(value, rule: "\(rule):\(name.lowercased())")
            return redacted == value ? String(part) : String(part[...eq]) + redacted
        }.joined(separator: "&")
    }

    mutating func body(_ body: Body?, headers: inout [HeaderField], framing: BodyFraming) -> Body? {
        guard case .text(let original)? = body else { return body }
        let isForm = headers.first("Content-Type")?.lowercased().contains("application/x-www-form-urlencoded") == true
        let redacted = document(original, isForm: isForm)
        guard redacted != original else { return body }
        // A recorded Content-Length stays true to the body it describes.
        if framing == .contentLength, let i = headers.firstIndex(where: { $0.name.lowercased() == "content-length" }) {
            headers[i].value = String(redacted.utf8.count)
        }
        return .text(redacted)
    }

    /// A body or message: form fields, or JSON members and paths, then free text.
    mutating func document(_ original: String, isForm: Bool) -> String {
        if isForm { return text(form(original, names: rules.bodyKeys, rule: "body")) }
        if usesPrescan {
            var copy = original
            if !copy.withUTF8({ rules.prescan.documentMayChange($0) }) { return original }
        }
        let first = original.first { $0 != " " && $0 != "\n" && $0 != "\r" && $0 != "\t" }
        guard first == "{" || first == "[", let json = try? JSONParser.parse(original) else { return text(original) }
        let redacted = self.json(json, path: .root, forced: nil)
        guard redacted != json else { return text(original) }
        var written = original.contains("\n") ? JSONWriter.pretty(redacted) : JSONWriter.compact(redacted)
        if !original.hasSuffix("\n"), written.hasSuffix("\n") { written.removeLast() }
        return text(written)
    }

    /// - Parameter forced: the rule of a JSON path that covers this value (every string below it is a secret).
    private mutating func json(_ value: JSONValue, path: JSONPath, forced: String?) -> JSONValue {
        switch value {
        case .object(let members):
            return .object(members.map { name, member in
                let memberPath = path.appending(key: name)
                var rule = forced ?? pathRule(memberPath)
                if rule == nil, case .string = member, rules.bodyKeys.contains(name.lowercased()) { rule = "body:\(name.lowercased())" }
                return (name, json(member, path: memberPath, forced: rule))
            })
        case .array(let elements):
            return .array(elements.enumerated().map { i, element in
                let elementPath = path.appending(index: i)
                return json(element, path: elementPath, forced: forced ?? pathRule(elementPath))
            })
        case .string(let s):
            guard let forced else { return value }
            return .string(credential(s, rule: forced))
        case .null, .bool, .number:
            return value
        }
    }

    private func pathRule(_ path: JSONPath) -> String? {
        for (i, pattern) in rules.pathPatterns.enumerated() where pattern.segments.count == path.segments.count && pattern.matches(path) {
            return "json-path:\(rules.jsonPaths[i])"
        }
        return nil
    }

    /// Bytes kept after a parse failure: credential header lines, then free text.
    mutating func rawHTTPText(_ data: String) -> String {
        // By UTF-8 bytes: "\r\n" is one Character, so splitting the String would not split CRLF
        // lines; a 0x0A byte is always the scalar "\n", and slicing bytes copies them in bulk.
        let lines = data.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { bytes -> String in
            let line = String(Substring(bytes))
            guard let colon = line.firstIndex(of: ":") else { return String(line) }
            let name = String(line[..<colon])
            guard !name.contains(" ") else { return String(line) }
            let lower = name.lowercased()
            guard ["authorization", "proxy-authorization", "cookie", "set-cookie"].contains(lower) || rules.headers.contains(lower) else {
                return String(line)
            }
            var value = String(line[line.index(after: colon)...])
            let cr = value.hasSuffix("\r")
            if cr { value.removeLast() }
            let redacted = headers([HeaderField(name, value)])[0].value
            return name + ":" + redacted + (cr ? "\r" : "")
        }
        return text(lines.joined(separator: "\n"))
    }
}
