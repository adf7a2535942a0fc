/// Revoked certificate serials (DESIGN.md §7), reloaded on SIGHUP.
///
/// File format: one serial per line in hex, any case, optionally colon-separated (`0A:1B:…`, as
/// `openssl x509 -serial` or browsers print them); `#` starts a comment (whole-line or trailing); blank
/// lines are ignored. Serials are compared in canonical form (see `PeerIdentity.serial`).
public struct RevocationList: Sendable, Hashable {
    /// Canonical serials.
    public private(set) var serials: Set<String>

    /// RFC 5280 §4.1.2.2: serials are at most 20 octets (40 hex digits once leading zeros are dropped).
    static let maximumSerialDigits = 40

    /// An empty list.
    public init() { serials = [] }

    /// Parses the file's text; `source` names it in errors (`revoked.txt:3: …`).
    public init(text: String, source: String) throws(IdentityError) {
        serials = []
        var lineNumber = 0
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            lineNumber += 1
            let uncommented = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let entry = uncommented.trimmingASCIIWhitespace()
            guard !entry.isEmpty else { continue }
            guard let serial = Hex.canonicalSerial(entry) else {
                throw IdentityError(.revocationListSyntax, "\(source):\(lineNumber): not a hexadecimal certificate serial: \"\(entry)\"")
            }
            guard serial.utf8.count <= Self.maximumSerialDigits else {
                throw IdentityError(.revocationListSyntax, "\(source):\(lineNumber): serial longer than 20 bytes: \"\(entry)\"")
            }
            serials.insert(serial)
        }
    }

    /// Reads and parses a file.
    public static func load(path: String) throws(IdentityError) -> RevocationList {
        try RevocationList(text: CredentialFiles.readText(path), source: path)
    }

    /// Whether `serial` (any accepted spelling) is revoked.
    public func contains(serial: String) -> Bool {
        guard let canonical = Hex.canonicalSerial(serial) else { return false }
        return serials.contains(canonical)
    }

    /// Whether the peer's leaf certificate is revoked.
    public func contains(_ peer: PeerIdentity) -> Bool {
        serials.contains(peer.serial)
    }
}

extension Substring {
    /// Drops leading and trailing spaces, tabs and carriage returns (files edited on Windows).
    func trimmingASCIIWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return self[first...last]
    }
}
