import QUICCore
import Synchronization

/// The relayed-transmit callback, set from any thread and read on the loop for each relayed transmit.
///
/// The closure is kept inside a class, never as the `Mutex`'s value itself: `withLock` hands its value to the
/// body `inout`, and a function value passed `inout` through the generic `Mutex` is re-abstracted on the way
/// in and written back re-abstracted on the way out — every read would wrap the stored closure in two more
/// thunks, so each relayed packet would cost more than the one before.
final class RelayedTransmitHandlerBox: Sendable {
    typealias Handler = @Sendable (RelayRoute, [UInt8]) -> Void

    private final class Reference: Sendable {
        let handler: Handler
        init(_ handler: @escaping Handler) { self.handler = handler }
    }

    private let storage = Mutex<Reference?>(nil)

    var handler: Handler? {
        get { storage.withLock { $0 }?.handler }
        set { storage.withLock { $0 = newValue.map(Reference.init) } }
    }
}
