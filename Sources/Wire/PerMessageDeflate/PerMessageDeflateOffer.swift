/// One permessage-deflate offer from a client's `Sec-WebSocket-Extensions`
/// request header (RFC 7692 §5, §7.1), and the server's side of the
/// negotiation: which parameters an answer may carry.
public struct PerMessageDeflateOffer: Hashable, Sendable {
    /// The client asks the server to reset its compression context after each message.
    public var serverNoContextTakeover: Bool
    /// The client says it will reset its own context (a hint; §7.1.1.2).
    public var clientNoContextTakeover: Bool
    /// The largest window the client lets the server compress with, nil: 15.
    public var serverMaxWindowBits: Int?
    /// The client accepts a `client_max_window_bits` in the answer (§7.1.2.2);
    /// without it the answer must not carry one.
    public var clientMaxWindowBitsAllowed: Bool
    /// The window limit the client hinted with `client_max_window_bits=N`.
    public var clientMaxWindowBits: Int?

    public init(
        serverNoContextTakeover: Bool = false, clientNoContextTakeover: Bool = false, serverMaxWindowBits: Int? = nil,
        clientMaxWindowBitsAllowed: Bool = false, clientMaxWindowBits: Int? = nil
    ) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBitsAllowed = clientMaxWindowBitsAllowed || clientMaxWindowBits != nil
        self.clientMaxWindowBits = clientMaxWindowBits
    }

    /// The valid permessage-deflate offers in `header`, in the client's order
    /// of preference. An offer with an unknown, repeated or malformed
    /// parameter is left out: a server declines what it does not understand (§7.1).
    public static func offers(fromRequestHeader header: String?) -> [PerMessageDeflateOffer] {
        guard let header else { return [] }
        return ExtensionHeaderTokenizer.elements(of: header).compactMap { element in
            guard let name = element.first?.name, name.lowercased() == "permessage-deflate" else { return nil }
            return offer(element.dropFirst())
        }
    }

    private static func offer(_ items: ArraySlice<ExtensionHeaderTokenizer.Parameter>) -> PerMessageDeflateOffer? {
        var offer = PerMessageDeflateOffer()
        var seen: Set<String> = []
        for item in items {
            let name = item.name.lowercased()
            guard seen.insert(name).inserted else { return nil }
            switch name {
            case "server_no_context_takeover":
                guard item.value == nil else { return nil }
                offer.serverNoContextTakeover = true
            case "client_no_context_takeover":
                guard item.value == nil else { return nil }
                offer.clientNoContextTakeover = true
            case "server_max_window_bits":
                // §7.1.2.1: a value is required in an offer.
                guard let bits = windowBits(item.value) else { return nil }
                offer.serverMaxWindowBits = bits
            case "client_max_window_bits":
                // §7.1.2.2: the value is optional in an offer.
                offer.clientMaxWindowBitsAllowed = true
                if item.value != nil {
                    guard let bits = windowBits(item.value) else { return nil }
                    offer.clientMaxWindowBits = bits
                }
            default:
                return nil
            }
        }
        return offer
    }

    private static func windowBits(_ text: String?) -> Int? {
        guard let text, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let bits = Int(text), (8...15).contains(bits) else {
            return nil
        }
        return bits
    }

    /// The answer to this offer that comes closest to `preferred` (what a
    /// recorded server answered) without a parameter the offer does not allow:
    /// - `server_no_context_takeover` when preferred or asked for (the server must honour it);
    /// - `client_no_context_takeover` when preferred (always allowed, §7.1.1.2);
    /// - `server_max_window_bits` only when the offer limits it: the smaller of both;
    /// - `client_max_window_bits` only when the offer allows it and the preferred
    ///   window (or the offer's hint) is below 15.
    public func accepted(preferring preferred: PerMessageDeflateParameters) -> PerMessageDeflateAgreement {
        var parameters = PerMessageDeflateParameters(
            serverNoContextTakeover: preferred.serverNoContextTakeover || serverNoContextTakeover,
            clientNoContextTakeover: preferred.clientNoContextTakeover
        )
        var items = ["permessage-deflate"]
        if parameters.serverNoContextTakeover { items.append("server_no_context_takeover") }
        if parameters.clientNoContextTakeover { items.append("client_no_context_takeover") }
        if let limit = serverMaxWindowBits {
            // §7.1.2.1: accepting the limit means answering it, same or smaller.
            parameters.serverMaxWindowBits = min(limit, preferred.serverMaxWindowBits)
            items.append("server_max_window_bits=\(parameters.serverMaxWindowBits)")
        }
        if clientMaxWindowBitsAllowed {
            parameters.clientMaxWindowBits = min(preferred.clientMaxWindowBits, clientMaxWindowBits ?? 15)
            if parameters.clientMaxWindowBits < 15 { items.append("client_max_window_bits=\(parameters.clientMaxWindowBits)") }
        }
        return PerMessageDeflateAgreement(parameters: parameters, header: items.joined(separator: "; "))
    }
}

/// A server's accepted permessage-deflate: the parameters both sides use and
/// the `Sec-WebSocket-Extensions` value of the 101 that says so.
public struct PerMessageDeflateAgreement: Hashable, Sendable {
    public var parameters: PerMessageDeflateParameters
    public var header: String

    public init(parameters: PerMessageDeflateParameters, header: String) {
        self.parameters = parameters
        self.header = header
    }

    /// Whether the server may compress at all: zlib cannot produce a raw
    /// deflate stream with an 8-bit window (it uses 9), so with
    /// `server_max_window_bits=8` every message goes out uncompressed, which
    /// RFC 7692 allows (RSV1 is per message).
    public var serverCanCompress: Bool { parameters.serverMaxWindowBits >= 9 }
}
