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
