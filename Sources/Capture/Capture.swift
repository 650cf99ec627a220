import TrafficModel

/// Capture turns packets (libpcap, live or from files) into recordings.
public enum CaptureModule {}
