/// The relay's Retry policy (`"retry"`, RFC 9000 §8.1.2): `auto` sends Retry only under load, `always`
/// validates every client address first, `never` never does.
public enum RetryMode: String, Sendable, Hashable, Codable, CaseIterable {
    case auto
    case always
    case never

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let mode = RetryMode(rawValue: text) else {
            throw container.invalid("\"\(text)\" is not one of \"auto\", \"always\", \"never\"")
        }
        self = mode
    }
}
