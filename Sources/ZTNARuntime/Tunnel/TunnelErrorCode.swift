/// Application error codes a tunnel endpoint puts in RESET_STREAM and STOP_SENDING (RFC 9000 §19.4, §19.5)
/// on a TCP stream (DESIGN.md §4: "a reset on either side maps to RESET_STREAM/STOP_SENDING"). The codes only
/// explain; either peer reacts to any code the same way (it resets its TCP socket).
public enum TunnelErrorCode {
    /// The TCP peer reset its connection (RST), or the socket failed.
    public static let tcpReset: UInt64 = 0x01
    /// The stream did not start with a valid `TCP_CONNECT` request.
    public static let malformedRequest: UInt64 = 0x02
    /// The endpoint is shutting the flow down (tunnel closing, forwarder closed, task cancelled).
    public static let aborted: UInt64 = 0x03
    /// The connect status was not `00`: the stream carries no byte stream.
    public static let notConnected: UInt64 = 0x04
}
