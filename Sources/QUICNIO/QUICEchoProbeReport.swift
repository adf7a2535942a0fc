/// The outcome of a `QUICEchoProbe`, printed by `ztna quic client` as one line of JSON.
public struct QUICEchoProbeReport: Sendable, Hashable {
    /// Whether the exchange was verified (see `QUICEchoProbe`).
    public var ok = false
    /// From starting the connection to the handshake's completion.
    public var handshakeMilliseconds: Double?
    public var alpn: String?
    /// The IANA name of the negotiated TLS cipher suite.
    public var cipher: String?
    /// The key exchange group.
    public var group: String?
    public var datagramsSent = 0
    /// DATAGRAMs echoed intact (each sequence number counted once).
    public var datagramsEchoed = 0
    /// Received DATAGRAMs that matched nothing we sent (corrupt, duplicated or foreign).
    public var datagramsMismatched = 0
    public var streamBytesSent = 0
    /// Stream bytes echoed, in order and byte-exact, before the first difference.
    public var streamBytesEchoed = 0
    /// 1-RTT key updates this client started (RFC 9001 §6).
    public var keyUpdates = 0
    /// What went wrong, when something did.
    public var error: String?

    public init() {}

    /// `{"ok":…,"handshakeMs":…,"alpn":…,"cipher":…,"group":…,"datagramsSent":…,"datagramsEchoed":…,
    /// "streamBytesSent":…,"streamBytesEchoed":…,"keyUpdates":…,"error":…}` on one line (the interop harness's contract).
    public var jsonLine: String {
        let handshake = handshakeMilliseconds.map(Self.decimal3) ?? "null"
        let fields: [(String, String)] = [
            ("ok", ok ? "true" : "false"),
            ("handshakeMs", handshake),
            ("alpn", Self.json(alpn)),
            ("cipher", Self.json(cipher)),
            ("group", Self.json(group)),
            ("datagramsSent", String(datagramsSent)),
            ("datagramsEchoed", String(datagramsEchoed)),
            ("streamBytesSent", String(streamBytesSent)),
            ("streamBytesEchoed", String(streamBytesEchoed)),
            ("keyUpdates", String(keyUpdates)),
            ("error", Self.json(error)),
        ]
        return "{" + fields.map { "\"\($0.0)\":\($0.1)" }.joined(separator: ",") + "}"
    }

    /// A JSON string literal (RFC 8259 §7), or null.
    static func json(_ value: String?) -> String {
        guard let value else { return "null" }
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension QUICEchoProbeReport {
    /// A non-negative number with three decimals, without Foundation ("12.345").
    static func decimal3(_ value: Double) -> String {
        let thousandths = Int((max(0, value) * 1000).rounded())
        let fraction = "\(thousandths % 1000)"
        return "\(thousandths / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
