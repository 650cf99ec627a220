public import TrafficModel

/// One value for each direction of a connection.
///
/// Used instead of `[Direction: T]` on the per-packet path: a dictionary
/// hashes the key on every access, and mutating a value through its optional
/// subscript may copy it. Two stored fields do neither.
package struct DirectionPair<T> {
    package var client: T
    package var server: T

    package init(client: T, server: T) {
        self.client = client
        self.server = server
    }

    package init(repeating value: T) {
        self.init(client: value, server: value)
    }

    package subscript(direction: Direction) -> T {
        get {
            switch direction {
            case .client: client
            case .server: server
            }
        }
        // `_modify` (not `set`) hands the stored field itself to the caller,
        // so `pair[d].append(...)` grows the array in place instead of
        // copying it out, mutating the copy and storing it back.
        _modify {
            switch direction {
            case .client: yield &client
            case .server: yield &server
            }
        }
    }
}

extension DirectionPair: Sendable where T: Sendable {}
