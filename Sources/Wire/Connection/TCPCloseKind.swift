/// How a connection's byte streams ended, as the transport saw it:
/// `ConnectionDecoder.finish` turns it into the session's end.
public enum TCPCloseKind: String, Sendable, Hashable {
    /// FIN seen (both directions, or one and then idle timeout / end of capture).
    case fin
    /// RST seen.
    case reset
    /// Neither: the capture ended, or the connection went idle.
    case cut
    /// Evicted because the connection table was full.
    case limit
}
