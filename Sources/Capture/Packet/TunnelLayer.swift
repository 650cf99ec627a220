/// One encapsulation a packet came through on its way to the inner IP flow.
///
/// The outer addresses are not kept: mirrored copies of the two directions of
/// one connection often arrive through different outer hosts, and the inner
/// flow is what identifies the connection. What is kept names the tunnel in
/// the words its operators use (`vxlan vni=42`).
public enum TunnelLayer: Hashable, Sendable, CustomStringConvertible {
    /// VXLAN (RFC 7348): Ethernet in UDP, 24-bit network identifier.
    case vxlan(vni: UInt32)
    /// Geneve (RFC 8926): Ethernet or IP in UDP; options are skipped.
    case geneve(vni: UInt32)
    /// GRE (RFC 2784, 2890), with its key when present; `udp` for GRE-in-UDP (RFC 8086).
    case gre(key: UInt32?, udp: Bool)
    /// ERSPAN type I, II or III (Cisco's mirrored Ethernet over GRE).
    case erspan(type: Int, session: UInt16?)
    /// IPv4 or IPv6 carried directly in IPv4 or IPv6 (protocols 4 and 41: IP-in-IP, 6in4, 4in6).
    case ipInIP(inner: Int, outer: Int)
    /// Teredo (RFC 4380): IPv6 in UDP/IPv4.
    case teredo
    /// AYIYA: IP in UDP with an identity and signature header.
    case ayiya
    /// GTP-U (3GPP TS 29.281): user-plane IP in UDP, per tunnel endpoint id.
    case gtpU(teid: UInt32)

    public var description: String {
        switch self {
        case .vxlan(let vni): "vxlan vni=\(vni)"
        case .geneve(let vni): "geneve vni=\(vni)"
        case .gre(let key, let udp): (udp ? "gre-in-udp" : "gre") + (key.map { " key=\($0)" } ?? "")
        case .erspan(let type, let session): "erspan type=\(type)" + (session.map { " session=\($0)" } ?? "")
        case .ipInIP(let inner, let outer): inner == 6 && outer == 4 ? "6in4" : "ip\(inner)-in-ip\(outer)"
        case .teredo: "teredo"
        case .ayiya: "ayiya"
        case .gtpU(let teid): "gtp-u teid=\(teid)"
        }
    }

    /// The layer's bit in `PacketLayers`, for the per-layer counts.
    var layer: PacketLayers {
        switch self {
        case .vxlan: .vxlan
        case .geneve: .geneve
        case .gre: .gre
        case .erspan: .erspan
        case .ipInIP: .ipInIP
        case .teredo: .teredo
        case .ayiya: .ayiya
        case .gtpU: .gtpU
        }
    }

    /// The path a session records: outermost first, e.g. `gre > erspan type=2 session=1`.
    public static func path(_ layers: some Sequence<TunnelLayer>) -> String? {
        let names = layers.map(\.description)
        return names.isEmpty ? nil : names.joined(separator: " > ")
    }
}

/// The link and encapsulation layers one packet went through, for the
/// import summary's per-layer counts ("vxlan 1,204 packets"). A bit set, so a
/// plain packet costs nothing to describe.
public struct PacketLayers: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let vlan = PacketLayers(rawValue: 1 << 0)
    public static let mpls = PacketLayers(rawValue: 1 << 1)
    public static let pppoe = PacketLayers(rawValue: 1 << 2)
    public static let llcSNAP = PacketLayers(rawValue: 1 << 3)
    public static let vxlan = PacketLayers(rawValue: 1 << 4)
    public static let geneve = PacketLayers(rawValue: 1 << 5)
    public static let gre = PacketLayers(rawValue: 1 << 6)
    public static let erspan = PacketLayers(rawValue: 1 << 7)
    public static let ipInIP = PacketLayers(rawValue: 1 << 8)
    public static let teredo = PacketLayers(rawValue: 1 << 9)
    public static let ayiya = PacketLayers(rawValue: 1 << 10)
    public static let gtpU = PacketLayers(rawValue: 1 << 11)
    public static let ipv6Extension = PacketLayers(rawValue: 1 << 12)
    public static let ipv4Fragment = PacketLayers(rawValue: 1 << 13)
    public static let ipv6Fragment = PacketLayers(rawValue: 1 << 14)
    public static let ipcomp = PacketLayers(rawValue: 1 << 15)
    public static let espNull = PacketLayers(rawValue: 1 << 16)

    /// Every layer with the name the summary prints, in bit order (which
    /// `CaptureStatistics.layerPackets` is indexed by).
    public static let names: [(PacketLayers, String)] = [
        (.vlan, "802.1q"), (.mpls, "mpls"), (.pppoe, "pppoe"), (.llcSNAP, "llc/snap"), (.vxlan, "vxlan"),
        (.geneve, "geneve"), (.gre, "gre"), (.erspan, "erspan"), (.ipInIP, "ip-in-ip"), (.teredo, "teredo"),
        (.ayiya, "ayiya"), (.gtpU, "gtp-u"), (.ipv6Extension, "ipv6 ext"), (.ipv4Fragment, "ipv4 fragment"),
        (.ipv6Fragment, "ipv6 fragment"), (.ipcomp, "ipcomp"),
        (.espNull, "esp-null"),
    ]
}

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
