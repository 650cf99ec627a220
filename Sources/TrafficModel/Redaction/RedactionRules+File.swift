extension RedactionRules {
    /// The rules file's conventional name, looked up in the working directory.
    public static let fileName = "authreplay.redact.json"

    /// The members a rules file may have; every one is a list of strings
    /// except `pseudonymKey`. Lists add to the defaults. `credentialCookies`
    /// and `ignoredCookies` say which cookies are credentials where the
    /// heuristics (`CookieRules`) guess wrong.
    public static let fileFields = [
        "headers", "queryNames", "bodyKeys", "jsonPaths", "regexes", "redactClaims", "pseudonymKey", "credentialCookies", "ignoredCookies",
    ]

    /// Parses a rules file:
    ///
    ///     {
    ///       "headers": ["X-Session"],
    ///       "queryNames": ["sig"],
    ///       "bodyKeys": ["pin"],
    ///       "jsonPaths": ["$.user.ssn"],
    ///       "regexes": ["sk_live_[0-9A-Za-z]+"],
    ///       "redactClaims": ["email"],
    ///       "pseudonymKey": "a private key, shared with the mock",
    ///       "credentialCookies": ["prefs_token"],
    ///       "ignoredCookies": ["tracking_id"]
    ///     }
    public static func parse(_ bytes: some Collection<UInt8>) throws(RecordingError) -> RedactionRules {
        // A syntax error is already a RecordingError(.invalidJSON) at its line and column.
        let document = try JSONParser.parse(bytes)
        guard let members = document.objectValue else {
            throw RecordingError(.wrongType, at: "$", "expected an object, found \(document.typeName)")
        }
        var lists: [String: [String]] = [:]
        var key: [UInt8]?
        for (name, value) in members {
            let path = "$.\(name)"
            guard fileFields.contains(name) else {
                let known = fileFields.map { "\"\($0)\"" }.joined(separator: ", ")
                throw RecordingError(.unknownField, at: path, "\"\(name)\" is not a rules field; the fields are \(known)")
            }
            if name == "pseudonymKey" {
                guard let text = value.stringValue else {
                    throw RecordingError(.wrongType, at: path, "expected a string, found \(value.typeName)")
                }
                guard text.utf8.count >= 16 else {
                    throw RecordingError(.invalidValue, at: path, "a pseudonym key needs at least 16 bytes")
                }
                key = Array(text.utf8)
                continue
            }
            guard let elements = value.arrayValue else {
                throw RecordingError(.wrongType, at: path, "expected an array of strings, found \(value.typeName)")
            }
            var strings: [String] = []
            for (i, element) in elements.enumerated() {
                guard let s = element.stringValue else {
                    throw RecordingError(.wrongType, at: "\(path)[\(i)]", "expected a string, found \(element.typeName)")
                }
                guard !s.isEmpty || name == "regexes" else {
                    throw RecordingError(.invalidValue, at: "\(path)[\(i)]", "an empty name matches nothing; remove it")
                }
                strings.append(s)
            }
            lists[name, default: []] += strings
        }
        return try RedactionRules(
            headers: lists["headers"] ?? [], queryNames: lists["queryNames"] ?? [], bodyKeys: lists["bodyKeys"] ?? [],
            jsonPaths: lists["jsonPaths"] ?? [], regexes: lists["regexes"] ?? [], redactClaims: lists["redactClaims"] ?? [],
            pseudonymizer: Pseudonymizer(key: key ?? Pseudonymizer.defaultKey),
            cookies: CookieRules(credentialNames: lists["credentialCookies"] ?? [], ignoredNames: lists["ignoredCookies"] ?? [])
        )
    }
}
