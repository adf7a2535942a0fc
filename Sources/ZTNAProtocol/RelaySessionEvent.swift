/// What a `RelaySession` tells its owner (pulled with `RelaySession.pollEvent()`).
public enum RelaySessionEvent: Sendable, Hashable {
    /// The relay ACKed the REGISTER for this service (reported once per transition to registered).
    case registered(ServiceID)
    /// The relay NACKed the REGISTER (reported when the state or the reason changes). `.notAuthorized`
    /// stops retries until `credentialsChanged(now:)`; the other reasons keep retrying.
    case refused(ServiceID, RegisterNackReason)
    /// Agent only: SERVICE_STATUS changed whether a connector serves this service.
    case availabilityChanged(ServiceID, available: Bool)
    /// The relay reported a new public address for this client (QAD; first report or NAT rebinding).
    case observedAddress(ObservedAddress)
    /// Agent only: a tunnel packet from the connector serving this service. The payload is a slice of the
    /// bytes given to `handle(_:now:)`, not a copy.
    case serviceDatagram(ServiceID, payload: ArraySlice<UInt8>)
    /// Connector only: a tunnel packet from agent `peer` for this service (slice of the input, not a copy).
    case peerDatagram(peer: PeerID, ServiceID, payload: ArraySlice<UInt8>)
}
