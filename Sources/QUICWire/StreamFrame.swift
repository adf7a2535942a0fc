// MARK: - StreamFrame

/// A STREAM frame (RFC 9000 §19.8).
///
/// ```
/// STREAM Frame {
///   Type (i) = 0x08..0x0f (OFF 0x04, LEN 0x02, FIN 0x01),
///   Stream ID (i), [Offset (i)], [Length (i)], Stream Data (..)
/// }
/// ```
/// We always encode the Length field (so frames can be followed by others) and the Offset only when nonzero.
public struct StreamFrame: Hashable, Sendable {
    /// The stream ID.
    public var streamID: UInt64
    /// The byte offset of `data` in the stream.
    public var offset: UInt64
    /// The stream bytes (may be empty, e.g. a bare FIN).
    public var data: [UInt8]
    /// Whether this frame carries the final byte of the stream.
    public var fin: Bool

    /// Creates a STREAM frame.
    public init(streamID: UInt64, offset: UInt64 = 0, data: [UInt8], fin: Bool = false) {
        self.streamID = streamID
        self.offset = offset
        self.data = data
        self.fin = fin
    }

    /// Bytes of frame overhead (type, id, offset if nonzero, length) for a frame with this
    /// id/offset/data length: lets the sender size `data` to fill a packet.
    @inlinable
    public static func overhead(streamID: UInt64, offset: UInt64, dataLength: Int) -> Int {
        1 + VarInt.encodedLength(of: streamID) + (offset > 0 ? VarInt.encodedLength(of: offset) : 0)
            + VarInt.encodedLength(of: UInt64(dataLength))
    }

    /// The type byte this frame is encoded with.
    var encodedFrameType: UInt64 {
        FrameType.stream | FrameType.streamLengthBit | (offset > 0 ? FrameType.streamOffsetBit : 0)
            | (fin ? FrameType.streamFinBit : 0)
    }
}
