/// The server name a tunnel connection carries (DESIGN.md §4): `<service-id>.ztna`. The connector reads
/// the service from it and checks the agent's certificate grants `agent` for exactly that service.
public enum TunnelSNI {
    /// The pseudo top-level domain every tunnel server name ends with.
    public static let suffix = ".ztna"

    /// `web` → `web.ztna`.
    public static func serverName(for service: ServiceID) -> String {
        service.description + suffix
    }

    /// `web.ztna` → `web`; nil for anything that is not exactly one valid service label followed by `.ztna`.
    ///
    /// Host names compare case-insensitively (RFC 4343 §2; RFC 6066 §3 carries them as ASCII), so ASCII upper
    /// case is folded before validating: `WEB.ZTNA` names the service `web`. A trailing dot is refused: RFC 6066
    /// §3 says SNI carries the name without one.
    public static func serviceID(fromServerName name: String) -> ServiceID? {
        var bytes = Array(name.utf8)
        let suffixBytes = Array(suffix.utf8)
        guard bytes.count > suffixBytes.count else { return nil }
        for index in bytes.indices where bytes[index] >= UInt8(ascii: "A") && bytes[index] <= UInt8(ascii: "Z") {
            bytes[index] += UInt8(ascii: "a") - UInt8(ascii: "A")
        }
        guard bytes.suffix(suffixBytes.count).elementsEqual(suffixBytes) else { return nil }
        // The label may not contain a dot: ServiceID's character set excludes it, so `a.b.ztna` is refused here.
        return ServiceID(bytes: bytes.dropLast(suffixBytes.count))
    }
}
