/// How fast recorded answers are sent.
public enum Pacing: Hashable, Sendable, CustomStringConvertible {
    /// Every burst immediately (the default: tests stay fast).
    case fast
    /// The recorded gaps between messages, as captured.
    case recorded
    /// The recorded gaps multiplied by a factor (0.5 is twice as fast).
    case scaled(Double)

    /// Parses `fast`, `recorded` or a non-negative number.
    public init?(argument: String) {
        switch argument.lowercased() {
        case "fast": self = .fast
        case "recorded": self = .recorded
        default:
            guard let factor = Double(argument), factor.isFinite, factor >= 0 else { return nil }
            self = .scaled(factor)
        }
    }

    /// The delay, in seconds, to wait for a recorded gap. Negative gaps
    /// (clock skew between capture points) count as zero.
    public func delay(forRecordedGap gap: Double) -> Double {
        let gap = max(0, gap.isFinite ? gap : 0)
        switch self {
        case .fast: return 0
        case .recorded: return gap
        case .scaled(let factor): return gap * factor
        }
    }

    public var description: String {
        switch self {
        case .fast: return "fast"
        case .recorded: return "recorded"
        case .scaled(let factor): return "\(factor)"
        }
    }
}
