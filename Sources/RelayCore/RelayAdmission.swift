/// What `RelayCore.connectionEstablished` decided. On anything but `.accepted` the shell closes the
/// connection; the core keeps no state for it.
public enum RelayAdmission: Sendable, Hashable {
    case accepted
    /// `RelayLimits.maxConnections` live connections already.
    case tooManyConnections
    /// The id is already live (a shell bug; refusing is the safe answer).
    case duplicateID
}
