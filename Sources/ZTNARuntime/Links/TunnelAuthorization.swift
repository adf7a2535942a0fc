#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ZTNAIdentity
import ZTNAProtocol

/// DESIGN.md §4: each end of a tunnel checks the other's certificate itself, whatever the relay did — the
/// connector that the agent's grants `agent` for the SNI's service, the agent that the connector's grants
/// `connector` for it — and (DESIGN.md §7) that its serial is not in its own revocation list. Run when a
/// tunnel opens and again for every established tunnel after a reload.
enum TunnelAuthorization {
    /// The verified peer, or why it is refused (for the log and the close reason).
    static func check(chain: [[UInt8]], trustRoots: TrustRoots, revocations: RevocationList, as role: Role,
                      for service: ServiceID) async -> Result<PeerIdentity, TunnelRefusal> {
        let purposes: KeyPurposes = role == .agent ? .clientAuth : .serverAuth
        let peer: PeerIdentity
        do {
            peer = try await PeerIdentity.verify(chain: chain, trustRoots: trustRoots, now: Date(), requiring: purposes)
        } catch {
            return .failure(TunnelRefusal(reason: error.message))
        }
        guard !revocations.contains(peer) else {
            return .failure(TunnelRefusal(reason: "certificate \(peer.name) serial \(peer.serial) is revoked"))
        }
        guard peer.grants.may(role, service) else {
            return .failure(TunnelRefusal(reason: "certificate \(peer.name) does not grant \(role) for \(service)"))
        }
        return .success(peer)
    }
}

/// Why a tunnel peer was refused.
struct TunnelRefusal: Error, Sendable, CustomStringConvertible {
    let reason: String
    var description: String { reason }

    /// The application error code in the tunnel's CONNECTION_CLOSE (docs/protocol.md).
    static let closeCode: UInt64 = 0x01
}
