import TrafficModel

/// The example staging service (see Examples/StagingService/README.md).
public enum ExampleStagingServiceModule {}
