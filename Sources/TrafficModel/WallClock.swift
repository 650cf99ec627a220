#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Timestamp {
    /// Wall-clock seconds since the Unix epoch (CLOCK_REALTIME): the clock
    /// the mock, the recording proxy and Replay read unless a test passes its
    /// own (JWT times are wall-clock times).
    public static let wallClock: @Sendable () -> Double = {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1_000_000_000
    }
}
