/// The header of a payload-bearing relay message — SERVICE_DATAGRAM `2F len id payload` or PEER_DATAGRAM
/// `30 peer(8) len id payload` (DESIGN.md §3) — as index ranges into the parsed bytes, so the forwarding hot
/// path neither copies the payload nor allocates a `ServiceID`.
///
/// Parsing checks the whole structure, including that the id is a valid service id (at most 63 bytes of
/// `[a-z0-9-]`); the payload may be empty and is opaque (a tunnel packet the relay cannot read).
public struct RelayDatagramHeader: Sendable, Hashable {
    /// The agent, for PEER_DATAGRAM; nil for SERVICE_DATAGRAM.
    public let peer: PeerID?
    /// Indices of the service id's bytes in the parsed collection.
    public let serviceID: Range<Int>
    /// Indices of the payload in the parsed collection (up to its end).
    public let payload: Range<Int>

    public var kind: RelayMessage.Kind { peer == nil ? .serviceDatagram : .peerDatagram }

    /// Parses `bytes`, whose first byte must be `0x2F` or `0x30`.
    public init(parsing bytes: ArraySlice<UInt8>) throws(RelayMessageError) {
        guard let typeByte = bytes.first else { throw RelayMessageError(.empty, kind: nil) }
        guard let kind = RelayMessage.Kind(rawValue: typeByte) else {
            throw RelayMessageError(.unknownType(typeByte), kind: nil)
        }
        guard kind == .serviceDatagram || kind == .peerDatagram else {
            throw RelayMessageError(.unexpectedType(kind), kind: kind)
        }
        var reader = RelayMessageReader(bytes, kind: kind)
        peer = kind == .peerDatagram ? PeerID(rawValue: try reader.uint64()) : nil
        serviceID = try reader.serviceIDRange(last: false)
        payload = reader.index..<bytes.endIndex
    }

    /// `30 peer len id payload` with this header's id and payload (what the relay sends a connector for an
    /// agent's `2F`), built in one allocation of the exact size. `bytes` must be the very slice this header
    /// was parsed from (the ranges index it).
    public func peerDatagram(from bytes: ArraySlice<UInt8>, peer: PeerID) -> [UInt8] {
        build(from: bytes, kind: .peerDatagram, peer: peer)
    }

    /// `2F len id payload` with this header's id and payload (what the relay sends an agent for a connector's
    /// `30`), built in one allocation of the exact size.
    public func serviceDatagram(from bytes: ArraySlice<UInt8>) -> [UInt8] {
        build(from: bytes, kind: .serviceDatagram, peer: nil)
    }

    private func build(from bytes: ArraySlice<UInt8>, kind: RelayMessage.Kind, peer: PeerID?) -> [UInt8] {
        bytes.withUnsafeBufferPointer { all in
            // The ranges are indices of `bytes`; rebase them onto the buffer, which starts at index 0.
            let base = bytes.startIndex
            let id = UnsafeBufferPointer(rebasing: all[(serviceID.lowerBound - base)..<(serviceID.upperBound - base)])
            return RelayMessage.buildDatagram(kind: kind, peer: peer, id: id, payload: bytes[payload])
        }
    }
}
