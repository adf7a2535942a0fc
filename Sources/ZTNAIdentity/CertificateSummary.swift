public import Foundation
import X509

/// The human-readable description `ztna certs show` prints: subject, issuer, SANs, grants per role, EKU,
/// validity with the time left, serial and SHA-256 fingerprint — one `label: value` line each.
public struct CertificateSummary: Sendable, CustomStringConvertible {
    public let lines: [(label: String, value: String)]

    public init(_ peer: PeerIdentity, now: Date = Date()) {
        let certificate = peer.certificate
        var lines: [(String, String)] = [
            ("subject", "\(certificate.subject)"),
            ("issuer", "\(certificate.issuer)"),
        ]
        if case .isCertificateAuthority? = try? certificate.extensions.basicConstraints {
            lines.append(("CA", "yes (may issue certificates)"))
        }
        let sans = peer.dnsNames.map { "DNS:\($0)" } + peer.ipAddresses.map { "IP:\($0)" }
        lines.append(("SANs", sans.isEmpty ? "none" : sans.joined(separator: ", ")))
        lines.append(("grants", "\(peer.grants)"))
        lines.append(("roles", peer.roles.isEmpty ? "none" : Role.allCases.filter(peer.roles.contains).map(\.rawValue).joined(separator: ", ")))
        lines.append(("key usage", "\(peer.purposes)"))
        lines.append(("not before", Self.format(peer.notBefore)))
        lines.append(("not after", Self.format(peer.notAfter)))
        lines.append(("validity", Self.status(notBefore: peer.notBefore, notAfter: peer.notAfter, now: now)))
        lines.append(("serial", peer.serial))
        lines.append(("SHA-256", peer.fingerprint))
        self.lines = lines
    }

    public var description: String {
        let width = lines.map(\.label.count).max() ?? 0
        return lines.map { label, value in
            label + ":" + String(repeating: " ", count: width - label.count + 1) + value
        }.joined(separator: "\n")
    }

    /// `expired 3 days ago`, `not yet valid (starts in 2 days)`, or `valid for 89 days`.
    static func status(notBefore: Date, notAfter: Date, now: Date) -> String {
        if now > notAfter { return "expired \(days(now.timeIntervalSince(notAfter))) ago" }
        if now < notBefore { return "not yet valid (starts in \(days(notBefore.timeIntervalSince(now))))" }
        return "valid for \(days(notAfter.timeIntervalSince(now)))"
    }

    private static func days(_ interval: TimeInterval) -> String {
        let days = Int(interval / 86_400)
        if days >= 1 { return days == 1 ? "1 day" : "\(days) days" }
        let hours = Int(interval / 3_600)
        return hours == 1 ? "1 hour" : "\(hours) hours"
    }

    /// ISO 8601 in UTC, e.g. `2026-01-31T12:00:00Z`.
    static func format(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
