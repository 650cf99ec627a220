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
