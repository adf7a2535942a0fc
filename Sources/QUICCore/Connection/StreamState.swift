public import NIOCore

/// One stream's send and receive halves with their flow control (RFC 9000 §2, §3, §4).
struct StreamState: Sendable {
    let id: StreamID
    /// nil when we never send on this stream (a peer-initiated unidirectional stream).
    var send: SendStreamBuffer?
    var sendCredit: SendFlowCredit
    /// nil when we never receive on this stream (a locally initiated unidirectional stream).
    var receive: ReceiveStreamBuffer?
    var receiveWindow: ReceiveFlowWindow

    // MARK: Send side (RFC 9000 §3.1)
    /// RESET_STREAM we must send (or resend after loss), with its error code and final size.
    var resetToSend: (code: UInt64, finalSize: UInt64)?
    var resetPending = false
    var resetAcknowledged = false
    /// The peer's STOP_SENDING code, when that is why our send side was reset (RFC 9000 §3.5).
    var stopSendingReceived: UInt64?
    /// The application was told the stream is blocked and wants `.streamWritable` when it is not.
    var wantsWritable = false
    var dataBlockedPending = false

    // MARK: Receive side (RFC 9000 §3.2)
    var resetReceived: UInt64?
    /// STOP_SENDING we must send (or resend), with its error code.
    var stopSendingCode: UInt64?
    var stopSendingPending = false
    var maxStreamDataPending = false
    /// The application was told about the end (FIN read or reset) so the receive half is done.
    var receiveFinishedReported = false

    init(id: StreamID, sends: Bool, receives: Bool, sendLimit: UInt64, receiveWindow: UInt64, maxReceiveWindow: UInt64) {
        self.id = id
        send = sends ? SendStreamBuffer() : nil
        sendCredit = SendFlowCredit(limit: sendLimit)
        receive = receives ? ReceiveStreamBuffer() : nil
        self.receiveWindow = ReceiveFlowWindow(initialWindow: receiveWindow, maxWindow: maxReceiveWindow)
    }

    /// The send half has nothing more to do: no send side, every byte and the FIN acknowledged, or reset acknowledged.
    var isSendDone: Bool {
        guard let send else { return true }
        if resetToSend != nil { return resetAcknowledged }
        return send.isFullyAcknowledged
    }

    /// The receive half has nothing more to do: no receive side, or the end was delivered to the application.
    var isReceiveDone: Bool {
        receive == nil || receiveFinishedReported
    }

    /// Whether this stream has frames waiting to go out (data, FIN, resets, window updates).
    var hasPendingFrames: Bool {
        resetPending || stopSendingPending || maxStreamDataPending || dataBlockedPending
            || (resetToSend == nil && (send?.hasDataToSend ?? false))
    }
}
