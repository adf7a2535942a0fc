/// Why `ztna probe` could not run at all (exit status 2), as opposed to a probe that ran and found the tunnel
/// wanting (a `TunnelProbeReport` that did not pass, exit status 1). Each message says what to check.
public struct TunnelProbeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of set-up failed.
    public enum Kind: String, Sendable, Hashable {
        /// A flag or option value is out of range or malformed.
        case invalidOption
        /// The agent could not start (identity files, socket).
        case agentStartup
        /// No tunnel within the time allowed (relay, registration, connector, tunnel handshake).
        case noTunnel
        /// The connector's end of the tunnel accepts no DATAGRAM frames (RFC 9221 §3), so no UDP can ride on it.
        case datagramsUnsupported
        /// The probe packets are larger than the tunnel can carry.
        case packetTooLarge
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
