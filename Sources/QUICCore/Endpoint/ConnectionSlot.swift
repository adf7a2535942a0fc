/// One connection of an endpoint, on the heap.
///
/// The endpoint keeps each connection in a slot so that it changes connections in place. Kept directly as
/// `Dictionary` values, a connection — a large struct with dozens of stored references — was copied on
/// every access through the dictionary (every reference retained, then released): about a tenth of the
/// CPU time of a DATAGRAM flood went to those copies.
///
/// `QUICEndpoint` stays a value: it changes a slot only while the slot is uniquely referenced and clones it
/// first otherwise (copy-on-write, `QUICEndpoint.mutate`), so a copy of an endpoint never sees the other
/// copy's changes.
final class ConnectionSlot: @unchecked Sendable {
    // @unchecked: `connection` is only mutated through a uniquely referenced slot (copy-on-write above);
    // a shared slot is only read.
    var connection: QUICConnection

    init(_ connection: QUICConnection) {
        self.connection = connection
    }
}
