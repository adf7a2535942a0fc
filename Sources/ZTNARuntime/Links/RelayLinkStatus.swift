/// One relay link for `/api/v1/status`.
public struct RelayLinkStatus: Sendable, Encodable {
    public let relay: String
    public let connected: Bool
    /// Services and their registration state (`registered`, `pending`, `refused_02`, …).
    public let registrations: [String: String]
    /// Agent: whether a connector serves each service (last SERVICE_STATUS).
    public let available: [String: Bool]
    /// This node's public address as the relay sees it.
    public let observedAddress: String?
    public let connects: Int
    public let lastError: String?
    public let rttMilliseconds: Double?
}
