extension AuthFinding {
    var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("role", role.rawValue)
        o.add("exchange", exchange)
        o.add("location", location)
        o.add("scheme", scheme.rawValue)
        o.addIfPresent("schemeName", schemeName)
        o.addIfPresent("user", user)
        o.addIfPresent("jwt", jwt?.json)
        if let issuedBy {
            o.add("issuedBy", .object([
                ("session", .string(issuedBy.session)), ("exchange", .int(issuedBy.exchange)), ("location", .string(issuedBy.location)),
            ]))
        }
        return o.object
    }

    init(reader r: JSONReader) throws(RecordingError) {
        var issuedBy: IssuedReference?
        if let i = r.optional("issuedBy") {
            issuedBy = IssuedReference(session: try i.string("session"), exchange: try i.int("exchange"), location: try i.string("location"))
        }
        self.init(
            role: try r.require("role").enumValue(Role.self), exchange: try r.int("exchange"),
            location: try r.string("location"), scheme: try r.require("scheme").enumValue(Scheme.self),
            schemeName: try r.optionalString("schemeName"), user: try r.optionalString("user"),
            jwt: try r.optional("jwt").map { j throws(RecordingError) in try JWTInfo(reader: j) },
            issuedBy: issuedBy
        )
    }
}

extension JWTInfo {
    var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("header", header)
        o.add("claims", claims)
        if let expiresIn { o.add("expiresIn", .fixed(expiresIn, decimals: 3)) }
        if let issuedAgo { o.add("issuedAgo", .fixed(issuedAgo, decimals: 3)) }
        if let notBeforeIn { o.add("notBeforeIn", .fixed(notBeforeIn, decimals: 3)) }
        o.add("signature", signature.rawValue)
        o.addIfPresent("verifiedBeforeRedaction", verifiedBeforeRedaction?.rawValue)
        return o.object
    }

    init(reader r: JSONReader) throws(RecordingError) {
        let header = try r.require("header")
        let claims = try r.require("claims")
        guard case .object = header.value else { throw header.wrongType("an object") }
        guard case .object = claims.value else { throw claims.wrongType("an object") }
        self.init(
            header: header.value, claims: claims.value,
            expiresIn: try r.optionalFixed("expiresIn", decimals: 3), issuedAgo: try r.optionalFixed("issuedAgo", decimals: 3),
            notBeforeIn: try r.optionalFixed("notBeforeIn", decimals: 3),
            signature: try r.require("signature").enumValue(Signature.self),
            verifiedBeforeRedaction: try r.optional("verifiedBeforeRedaction").map { v throws(RecordingError) in try v.enumValue(Signature.self) }
        )
    }
}
