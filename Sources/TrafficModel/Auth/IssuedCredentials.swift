/// What a deferring `AuthTracker` saw: the credentials its connection
/// presented and issued, each at its place in the capture's event order.
public struct LinkLog: Sendable {
    /// A place in the capture: the event (`position`, given by the caller:
    /// the reader numbers the events it hands out) and the observation within
    /// it. Two connections never share an event, so the order is total.
    public struct Order: Comparable, Hashable, Sendable {
        public var position: UInt64
        public var step: Int

        public init(position: UInt64, step: Int) {
            self.position = position
            self.step = step
        }

        public static func < (a: Order, b: Order) -> Bool { (a.position, a.step) < (b.position, b.step) }
    }

    public struct Presented: Sendable {
        /// Index of the finding in its session's `auth`.
        public var finding: Int
        public var value: String
        public var order: Order
    }

    public struct Issued: Sendable {
        public var value: String
        public var order: Order
        public var reference: IssuedReference
    }

    public var presented: [Presented] = []
    public var issued: [Issued] = []
    var step = 0

    public init() {}
}

/// The first issue of every credential value across connections decoded
/// apart, to link presented credentials as one tracker reading the capture
/// in order would have: a presented credential is linked to the value's
/// first issue when that issue came before it.
///
/// Complete for a session only once every issue placed before the session's
/// last presentation has been added (the parallel import waits for that).
public struct IssuedCredentials: Sendable {
    private var first: [String: (order: LinkLog.Order, reference: IssuedReference)] = [:]

    public init() {}

    public mutating func add(_ issued: some Sequence<LinkLog.Issued>) {
        for entry in issued {
            if let known = first[entry.value], known.order < entry.order { continue }
            first[entry.value] = (entry.order, entry.reference)
        }
    }

    /// Sets `issuedBy` on the presented findings of one session's `auth`.
    public func link(_ findings: inout [AuthFinding], presented: [LinkLog.Presented]) {
        for p in presented {
            if let known = first[p.value], known.order < p.order { findings[p.finding].issuedBy = known.reference }
        }
    }
}
