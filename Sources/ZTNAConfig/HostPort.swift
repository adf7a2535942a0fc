/// `host:port` as written in every address key (`listen`, `admin`, `relays`, `backend`, forwards): a DNS
/// host name (resolved at use time, DESIGN.md §5 — not here), an IPv4 literal, or a bracketed IPv6
/// literal (`[::1]:80`), and a port 1–65535.
public struct HostPort: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Host name or address literal, without brackets.
    public let host: String
    public let port: UInt16

    /// A value from parts, not validated: for defaults and literals in code.
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `text`; nil when malformed. Use `parse(_:)` for the reason.
    public init?(_ text: String) {
        guard case .success(let value) = Self.parse(text) else { return nil }
        self = value
    }

    /// Parses `text`, or says what is wrong with it. `allowingPortZero`: for a listening address, where port 0
    /// asks the kernel for a free port (tests, benchmarks).
    public static func parse(_ text: String, allowingPortZero: Bool = false) -> Result<HostPort, HostPortError> {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return .failure(.init("missing ']' after IPv6 address")) }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return .failure(.init("expected ':port' after ']'")) }
            portText = rest.dropFirst()
            guard let address = IPAddressLiteral(String(host)), !address.isIPv4 else {
                return .failure(.init("\"\(host)\" in brackets is not an IPv6 address"))
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return .failure(.init("expected host:port")) }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return .failure(.init("an IPv6 address needs brackets: [address]:port")) }
            guard IPAddressLiteral(String(host)) != nil || isHostName(host) else {
                return .failure(.init("\"\(host)\" is neither a host name nor an IP address"))
            }
        }
        guard let port = Int(portText), ((allowingPortZero ? 0 : 1)...65_535).contains(port) else {
            return .failure(.init("port \"\(portText)\" is not \(allowingPortZero ? 0 : 1)–65535"))
        }
        return .success(HostPort(host: String(host), port: UInt16(port)))
    }

    /// Whether `host` is an IP literal (no DNS resolution needed).
    public var isIPLiteral: Bool { IPAddressLiteral(host) != nil }

    /// `host:port`, bracketing IPv6 literals.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// RFC 1123 §2.1: dot-separated labels of 1–63 letters, digits, hyphens, not starting or ending with a
    /// hyphen; at most 253 bytes. A trailing dot (absolute name) is accepted.
    static func isHostName(_ name: Substring) -> Bool {
        var bytes = Array(name.utf8)
        if bytes.last == UInt8(ascii: "."), bytes.count > 1 { bytes.removeLast() }
        guard !bytes.isEmpty, bytes.count <= 253 else { return false }
        for label in bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard let first = label.first, let last = label.last, label.count <= 63,
                  first != UInt8(ascii: "-"), last != UInt8(ascii: "-") else { return false }
            let allowed = label.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
            }
            guard allowed else { return false }
        }
        return true
    }

    // MARK: - Codable (a JSON string)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        switch Self.parse(text) {
        case .success(let value): self = value
        case .failure(let error): throw container.invalid("\"\(text)\": \(error.reason)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Why a `host:port` string was rejected.
public struct HostPortError: Error, Sendable, Hashable {
    public let reason: String

    init(_ reason: String) { self.reason = reason }
}
