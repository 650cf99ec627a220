/// The UDP ports tunnels are recognised on. Defaults are the IANA ones;
/// deployments move some (Linux's VXLAN default was 8472 before 4789).
public struct DecapsulationPorts: Sendable, Equatable {
    public var vxlan: Set<UInt16> { didSet { rebuild() } }
    public var geneve: Set<UInt16> { didSet { rebuild() } }
    /// GRE-in-UDP (RFC 8086).
    public var greInUDP: Set<UInt16> { didSet { rebuild() } }
    public var teredo: Set<UInt16> { didSet { rebuild() } }
    public var ayiya: Set<UInt16> { didSet { rebuild() } }
    public var gtpU: Set<UInt16> { didSet { rebuild() } }

    enum Tunnel: Sendable { case vxlan, geneve, greInUDP, teredo, ayiya, gtpU }

    /// Every port and its tunnel, flat: a handful of comparisons per UDP
    /// packet instead of twelve set lookups (hashing) in the decoder's hot
    /// path, and one reference for a frame to carry instead of six.
    struct Table: Sendable {
        var entries: [(port: UInt16, tunnel: Tunnel)] = []

        /// The tunnel on `port`; the order of the entries decides when sets overlap.
        func tunnel(on port: UInt16) -> Tunnel? {
            for entry in entries where entry.port == port { return entry.tunnel }
            return nil
        }
    }

    private(set) var table = Table()

    public init(
        vxlan: Set<UInt16> = [4789], geneve: Set<UInt16> = [6081], greInUDP: Set<UInt16> = [4754],
        teredo: Set<UInt16> = [3544], ayiya: Set<UInt16> = [5072], gtpU: Set<UInt16> = [2152]
    ) {
        self.vxlan = vxlan
        self.geneve = geneve
        self.greInUDP = greInUDP
        self.teredo = teredo
        self.ayiya = ayiya
        self.gtpU = gtpU
        rebuild()
    }

    private mutating func rebuild() {
        let sets: [(Set<UInt16>, Tunnel)] = [
            (vxlan, .vxlan), (geneve, .geneve), (greInUDP, .greInUDP), (gtpU, .gtpU), (teredo, .teredo), (ayiya, .ayiya),
        ]
        table = Table(entries: sets.flatMap { set, tunnel in set.sorted().map { ($0, tunnel) } })
    }

    public static func == (a: DecapsulationPorts, b: DecapsulationPorts) -> Bool {
        a.vxlan == b.vxlan && a.geneve == b.geneve && a.greInUDP == b.greInUDP && a.teredo == b.teredo
            && a.ayiya == b.ayiya && a.gtpU == b.gtpU
    }

    public static let `default` = DecapsulationPorts()
}
