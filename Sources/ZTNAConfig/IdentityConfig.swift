/// `"identity"`: the node's certificate, private key and the CA bundle it trusts (PEM file paths). Each
/// may instead come from a flag (`--cert`, `--key`, `--ca`), so each is optional here; the role command
/// checks that the merged result is complete (`missingKeys`).
public struct IdentityConfig: Sendable, Hashable, Codable {
    public var certificate: String?
    public var privateKey: String?
    public var trustRoots: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case certificate, privateKey, trustRoots
    }

    public init(certificate: String? = nil, privateKey: String? = nil, trustRoots: String? = nil) {
        self.certificate = certificate
        self.privateKey = privateKey
        self.trustRoots = trustRoots
    }

    public init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(CodingKeys.self)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        certificate = try container.decodeNonEmptyIfPresent(forKey: .certificate)
        privateKey = try container.decodeNonEmptyIfPresent(forKey: .privateKey)
        trustRoots = try container.decodeNonEmptyIfPresent(forKey: .trustRoots)
    }

    /// The keys still unset, as `identity.<key>` (empty when complete).
    public var missingKeys: [String] {
        var missing: [String] = []
        if certificate == nil { missing.append("identity.certificate") }
        if privateKey == nil { missing.append("identity.privateKey") }
        if trustRoots == nil { missing.append("identity.trustRoots") }
        return missing
    }
}

extension IdentityConfig {
    /// Applies the `--cert`, `--key` and `--ca` flags: each given one overrides the file's key.
    public mutating func override(certificate: String?, privateKey: String?, trustRoots: String?) {
        if let certificate { self.certificate = certificate }
        if let privateKey { self.privateKey = privateKey }
        if let trustRoots { self.trustRoots = trustRoots }
    }
}
