import QUICCore
import Synchronization

/// The relayed-transmit callback, set from any thread and read on the loop for each relayed transmit.
final class RelayedTransmitHandlerBox: Sendable {
    typealias Handler = @Sendable (RelayRoute, [UInt8]) -> Void
    private let storage = Mutex<Handler?>(nil)

    var handler: Handler? {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}
