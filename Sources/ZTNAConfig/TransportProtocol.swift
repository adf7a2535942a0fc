/// The transport of a service port or forward: `"tcp"` or `"udp"`.
public enum TransportProtocol: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case tcp
    case udp

    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = TransportProtocol(rawValue: text) else {
            throw container.invalid("\"\(text)\" is not \"tcp\" or \"udp\"")
        }
        self = value
    }
}
