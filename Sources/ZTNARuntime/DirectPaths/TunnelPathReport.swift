#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A tunnel's path in `/api/v1/status` (DESIGN.md §6 "Explainability"; the contract `ztna status` and other
/// tools read). Keys may grow; these names and meanings stay.
public struct TunnelPathReport: Sendable, Codable, Hashable {
    /// A value per path kind.
    public struct PerPath<Value: Sendable & Codable & Hashable>: Sendable, Codable, Hashable {
        public var direct: Value
        public var relayed: Value
    }

    /// `"direct"` or `"relayed"`.
    public var path: String
    /// The peer's direct address (`host:port`) when direct; the relay's when relayed (nil if it is unknown).
    public var remote: String?
    /// Why the tunnel is relayed (a `RelayedReason` raw value); nil when direct.
    public var reason: String?
    /// The reason in one sentence for operators.
    public var explanation: String?
    /// When the path (or the reason) last changed.
    public var since: Date
    /// Direct ↔ relayed switches.
    public var pathChanges: Int
    /// Smoothed RTT in milliseconds of each path known (nil: no sample).
    public var rttMillis: PerPath<Double?>
    /// QUIC bytes (sent + received) carried over each path kind.
    public var bytes: PerPath<UInt64>
}
