/// How large a tunnel connection's packets may be (DESIGN.md §4 "Packet sizes on the relayed path").
///
/// A relayed tunnel packet rides inside a relay DATAGRAM: relay connections use 1 452-byte UDP payloads
/// (Ethernet 1500 − IPv6 40 − UDP 8), which leave 1 452 − 29 (short header with an 8-byte connection ID,
/// 4-byte packet number, 16-byte tag) − 3 (DATAGRAM frame) = 1 420 bytes of DATAGRAM payload; the relay
/// header takes at most 1 + 8 + 1 + 63 = 73 more (`0x30 peer len id`). 1 340 bytes therefore always fit,
/// with room to spare, and are above the 1 200 bytes an Initial must be padded to (RFC 9000 §14.1) — so the
/// inner Initials need no exception on such paths.
enum TunnelPacketSize {
    static let maxUDPPayload = 1_340
}
