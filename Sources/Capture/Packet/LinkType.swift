import TrafficModel
/// The data link framing of captured packets (libpcap's DLT / LINKTYPE).
public enum LinkType: Sendable, Equatable, CaseIterable {
    /// DLT_EN10MB (1): Ethernet II, with any depth of 802.1Q / QinQ tags.
    case ethernet
    /// DLT_NULL (0): 4-byte address family in the *capturing* host's byte order.
    case null
    /// DLT_LOOP (108): 4-byte address family in network byte order.
    case loop
    /// DLT_RAW (12, 14) / LINKTYPE_RAW (101): bare IP, the version nibble decides.
    case raw
    /// LINKTYPE_IPV4 (228).
    case ipv4
    /// LINKTYPE_IPV6 (229).
    case ipv6
    /// LINUX_SLL (113): Linux "cooked" capture, v1 (`tcpdump -i any`).
    case linuxSLL
    /// LINUX_SLL2 (276): Linux "cooked" capture, v2.
    case linuxSLL2
    /// C_HDLC (104): Cisco HDLC, an Ethernet type after address and control.
    case ciscoHDLC
    /// ARCNET_LINUX (129): ARCNET with Linux's header (RFC 1201 protocol ids).
    case arcnetLinux

    /// Maps a libpcap `pcap_datalink` value or a file header's link type.
    public init(dlt: Int32) throws(CaptureError) {
        switch dlt {
        case 1: self = .ethernet
        case 0: self = .null
        case 108: self = .loop
        case 12, 14, 101: self = .raw
        case 228: self = .ipv4
        case 229: self = .ipv6
        case 113: self = .linuxSLL
        case 276: self = .linuxSLL2
        case 104: self = .ciscoHDLC
        case 129: self = .arcnetLinux
        default:
            let name = LinkType.knownNames[dlt].map { " (\($0))" } ?? ""
            throw CaptureError(
                .unsupportedLinkType,
                "link type \(dlt)\(name) is not supported; supported: EN10MB (1), NULL (0), LOOP (108), "
                    + "RAW (12, 14, 101), IPV4 (228), IPV6 (229), LINUX_SLL (113), LINUX_SLL2 (276), C_HDLC (104), "
                    + "ARCNET_LINUX (129); "
                    + "capture on an Ethernet, loopback or 'any' interface instead"
            )
        }
    }

    /// Names of common unsupported link types, so the error says what the capture is.
    static let knownNames: [Int32: String] = [
        6: "IEEE802_5", 7: "ARCNET_BSD", 8: "SLIP", 9: "PPP", 10: "FDDI", 50: "PPP_HDLC",
        51: "PPP_ETHER", 105: "IEEE802_11", 117: "PFLOG", 119: "PRISM_HEADER",
        127: "IEEE802_11_RADIO", 163: "IEEE802_11_RADIO_AVS", 189: "USB_LINUX",
        192: "PPI", 195: "IEEE802_15_4", 197: "ERF", 201: "BLUETOOTH_HCI_H4_WITH_PHDR",
        220: "USB_LINUX_MMAPPED", 239: "NFLOG", 242: "IPOIB", 253: "NETLINK",
    ]
}
