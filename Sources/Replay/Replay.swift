import TrafficModel

/// Replay drives the recorded client side against a server and diffs the answers.
public enum ReplayModule {}
