/// The tunnels one packet came through, outermost first.
///
/// Every packet of a mirrored capture carries one, so the common depths (one
/// or two tunnels: `vxlan`, `gre > erspan`) are held inline: describing a
/// packet's path allocates nothing. Deeper paths spill into an array.
public struct TunnelPath: Hashable, Sendable, Sequence, ExpressibleByArrayLiteral {
    private var first: TunnelLayer?
    private var second: TunnelLayer?
    /// The third tunnel on; empty (no storage) in all but nested-mirror cases.
    private var rest: [TunnelLayer] = []

    public init() {}

    public init(arrayLiteral layers: TunnelLayer...) {
        for layer in layers.reversed() { prepend(layer) }
    }

    public var isEmpty: Bool { first == nil }

    /// Adds `layer` inside the ones already there (decoding goes outside in).
    public mutating func append(_ layer: TunnelLayer) {
        if first == nil {
            first = layer
        } else if second == nil {
            second = layer
        } else {
            rest.append(layer)
        }
    }

    /// Adds `layer` outside the ones already there.
    public mutating func prepend(_ layer: TunnelLayer) {
        if let second { rest.insert(second, at: 0) }
        second = first
        first = layer
    }

    public func makeIterator() -> IndexingIterator<[TunnelLayer]> {
        ([first, second].compactMap { $0 } + rest).makeIterator()
    }
}
