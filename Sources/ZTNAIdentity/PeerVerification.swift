public import Foundation
@_spi(FixedExpiryValidationTime) import X509
import SwiftASN1

// MARK: - Verification

extension PeerIdentity {
    /// Verifies a presented chain (leaf first) against `trustRoots` at `now`, for a peer acting in the
    /// TLS role `purposes` (`.clientAuth` for agents and connectors dialling in, `.serverAuth` for relays
    /// and tunnel servers), and returns its identity.
    ///
    /// The checks are ordered so that the error says what an operator must fix: `.emptyChain` /
    /// `.malformedCertificate`, then `.expired` / `.notYetValid` (leaf dates), then `.wrongEKU`, then
    /// `.otherCA` (swift-certificates' `Verifier` with the RFC 5280 policy — signatures, CA basic
    /// constraints and key usage, every certificate's dates — plus `KeyPurposePolicy`; any failure there
    /// means the chain is not trusted).
    public static func verify(
        chain: [[UInt8]], trustRoots: TrustRoots, now: Date, requiring purposes: KeyPurposes = .clientAuth
    ) async throws(IdentityError) -> PeerIdentity {
        let peer = try PeerIdentity(certificateChainDER: chain)
        if now > peer.notAfter {
            throw IdentityError(.expired, "certificate \(peer.name) (serial \(peer.serial)) expired at \(peer.notAfter)")
        }
        if now < peer.notBefore {
            throw IdentityError(.notYetValid, "certificate \(peer.name) (serial \(peer.serial)) is not valid before \(peer.notBefore)")
        }
        guard peer.purposes.isSuperset(of: purposes) else {
            throw IdentityError(.wrongEKU, "certificate \(peer.name) has extended key usage \(peer.purposes), needs \(purposes)")
        }
        var verifier = Verifier(rootCertificates: CertificateStore(trustRoots.certificates)) {
            RFC5280Policy(fixedExpiryValidationTime: now)
            KeyPurposePolicy(required: purposes)
        }
        let result = await verifier.validate(leaf: peer.certificate, intermediates: CertificateStore(peer.intermediates))
        switch result {
        case .validCertificate:
            return peer
        case .couldNotValidate(let failures):
            let reasons = Set(failures.map(\.policyFailureReason.description)).sorted().joined(separator: "; ")
            throw IdentityError(
                .otherCA,
                "certificate \(peer.name) is not trusted by the CA bundle (issuer \(peer.certificate.issuer))"
                    + (reasons.isEmpty ? "" : ": \(reasons)")
            )
        }
    }
}

// MARK: - Policy

/// A `VerifierPolicy` requiring the leaf's extended key usage to include `required` (RFC 5280 §4.2.1.12).
/// A leaf without the extension fails: ztna always issues one, and an EKU-less certificate is not ours.
struct KeyPurposePolicy: VerifierPolicy {
    let required: KeyPurposes

    /// We enforce the EKU, so a critical EKU extension is understood.
    let verifyingCriticalExtensions: [ASN1ObjectIdentifier] = [.X509ExtensionID.extendedKeyUsage]

    func chainMeetsPolicyRequirements(chain: UnverifiedCertificateChain) -> PolicyEvaluationResult {
        guard let usages = try? chain.leaf.extensions.extendedKeyUsage else {
            return .failsToMeetPolicy(reason: "leaf has no (valid) extended key usage extension")
        }
        if required.contains(.clientAuth) && !usages.contains(.clientAuth) {
            return .failsToMeetPolicy(reason: "leaf lacks the clientAuth extended key usage")
        }
        if required.contains(.serverAuth) && !usages.contains(.serverAuth) {
            return .failsToMeetPolicy(reason: "leaf lacks the serverAuth extended key usage")
        }
        return .meetsPolicy
    }
}
