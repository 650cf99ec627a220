extension JWTSigningKey {
    /// The `alg` a token this key signs gets: the token's own when the key
    /// signs with it (an RSA key keeps PS384), else the key's default.
    public func algorithm(keeping own: String?) -> String {
        if let own, signs(own) { return own }
        return defaultAlgorithm
    }
}

extension JWT {
    /// An unsecured JWT (RFC 7519 §6): `alg` "none" and an empty signature.
    public static func unsecured(header: JSONValue, claims: JSONValue) -> String {
        let members: [(String, JSONValue)]
        if case .object(let m) = header { members = m } else { members = [] }
        var updated = members.map { $0.0 == "alg" ? ($0.0, JSONValue.string("none")) : $0 }
        if !updated.contains(where: { $0.0 == "alg" }) { updated.insert(("alg", .string("none")), at: 0) }
        return "\(encode(.object(updated))).\(encode(claims))."
    }

    /// base64url (no padding) of the compact JSON, as JWS encodes a part.
    public static func encode(_ part: JSONValue) -> String {
        Base64.encode(Array(JSONWriter.compact(part).utf8), url: true, padding: false)
    }
}
