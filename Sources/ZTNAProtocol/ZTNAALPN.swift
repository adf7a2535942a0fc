/// The ALPN protocol ids of the two QUIC layers (DESIGN.md §1, RFC 7301).
public enum ZTNAALPN {
    /// Relay connections: registration, observed addresses, encapsulated tunnel packets (DESIGN.md §3).
    public static let relay = "ztna-v1"
    /// End-to-end tunnel connections, one per (agent, service) (DESIGN.md §4).
    public static let tunnel = "ztna-tunnel-v1"
}
