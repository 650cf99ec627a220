import ExampleStagingService
print("staging-service")
