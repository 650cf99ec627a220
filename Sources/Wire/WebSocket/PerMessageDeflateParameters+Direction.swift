public import TrafficModel

extension PerMessageDeflateParameters {
    /// Whether the sender in `direction` resets its context after each message.
    public func noContextTakeover(for sender: Direction) -> Bool {
        switch sender {
        case .client: return clientNoContextTakeover
        case .server: return serverNoContextTakeover
        }
    }
}
