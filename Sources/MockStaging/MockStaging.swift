import TrafficModel

/// MockStaging serves recordings as a deterministic mock staging server.
public enum MockStagingModule {}
