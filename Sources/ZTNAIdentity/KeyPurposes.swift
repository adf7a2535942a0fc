/// The extended key usages (RFC 5280 §4.2.1.12) that matter to ztna: TLS server and TLS client.
public struct KeyPurposes: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// id-kp-serverAuth (1.3.6.1.5.5.7.3.1): may act as a TLS server (relay; connector for tunnels).
    public static let serverAuth = KeyPurposes(rawValue: 1 << 0)
    /// id-kp-clientAuth (1.3.6.1.5.5.7.3.2): may act as a TLS client (agent, connector).
    public static let clientAuth = KeyPurposes(rawValue: 1 << 1)

    /// `clientAuth, serverAuth`, or `none`.
    public var description: String {
        var names: [String] = []
        if contains(.clientAuth) { names.append("clientAuth") }
        if contains(.serverAuth) { names.append("serverAuth") }
        return names.isEmpty ? "none" : names.joined(separator: ", ")
    }
}
