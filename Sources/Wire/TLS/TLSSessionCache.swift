import Synchronization

/// What a TLS 1.2 client names the session it resumes with: the server's
/// session ID (RFC 5246 §7.4.1.2) or a ticket (RFC 5077 §3.4).
public enum TLSResumptionKey: Hashable, Sendable {
    case sessionID([UInt8])
    case ticket([UInt8])
}

/// TLS 1.2 master secrets by session ID and ticket, learned from full
/// handshakes decrypted earlier in the same capture, as Wireshark keeps them.
/// OpenSSL logs a CLIENT_RANDOM line for a resumed connection too, but a
/// client that logs only full handshakes leaves the resumed one without
/// keys; its abbreviated handshake names the session, and this finds it.
/// Shared by every connection of one import or capture; bounded by
/// `maxSessions` (later sessions are not remembered).
public final class TLSSessionCache: Sendable {
    /// 65,536 sessions, 80-odd bytes each with their keys: about 6 MiB at most.
    public static let maxSessions = 1 << 16
    private let sessions = Mutex<[TLSResumptionKey: [UInt8]]>([:])

    public init() {}

    public func remember(masterSecret: [UInt8], for key: TLSResumptionKey) {
        sessions.withLock { sessions in
            guard sessions.count < Self.maxSessions || sessions[key] != nil else { return }
            sessions[key] = masterSecret
        }
    }

    public func masterSecret(for key: TLSResumptionKey) -> [UInt8]? {
        sessions.withLock { $0[key] }
    }
}
