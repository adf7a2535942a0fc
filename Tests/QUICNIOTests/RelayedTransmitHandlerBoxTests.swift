import QUICCore
import Synchronization
import Testing
@testable import QUICNIO

@Suite("Relayed transmit handler box")
struct RelayedTransmitHandlerBoxTests {
    /// Every relayed packet reads the handler. If a read re-wrapped the stored closure (a function value passed
    /// `inout` through a generic `Mutex` is re-abstracted both ways), each packet would add thunks and, after
    /// enough packets, calling the handler would recurse through all of them and overflow the stack.
    @Test func readingTheHandlerOftenLeavesItAsItWas() throws {
        let box = RelayedTransmitHandlerBox()
        let calls = Atomic<Int>(0)
        box.handler = { _, bytes in calls.add(bytes.count, ordering: .relaxed) }
        for _ in 0..<400_000 { _ = box.handler }
        let handler = try #require(box.handler)
        handler(RelayRoute(1), [1, 2, 3])
        #expect(calls.load(ordering: .relaxed) == 3)
        box.handler = nil
        #expect(box.handler == nil)
    }
}
