import Testing
@testable import QUICWire

@Suite("Connection IDs and stateless reset tokens")
struct ConnectionIDTests {
    @Test func acceptsZeroToTwentyBytes() {
        #expect(ConnectionID([])?.count == 0)
        #expect(ConnectionID([UInt8](repeating: 7, count: 20))?.count == 20)
        #expect(ConnectionID([UInt8](repeating: 7, count: 21)) == nil)
        #expect(ConnectionID.empty.isEmpty)
        #expect(ConnectionID.empty == ConnectionID([]))
    }

    @Test func describesItselfInLowercaseHex() {
        #expect(ConnectionID([0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08])?.description == "8394c8f03e515708")
        #expect(ConnectionID.empty.description == "")
    }

    @Test func equalityAndHashingFollowTheBytes() {
        let set: Set<ConnectionID> = [cid(4), cid(4), cid(4, start: 9)]
        #expect(set.count == 2)
    }

    @Test func statelessResetTokensAreExactlySixteenBytes() {
        #expect(StatelessResetToken([UInt8](repeating: 1, count: 16)) != nil)
        #expect(StatelessResetToken([UInt8](repeating: 1, count: 15)) == nil)
        #expect(StatelessResetToken([UInt8](repeating: 1, count: 17)) == nil)
        #expect(StatelessResetToken([UInt8](repeating: 0xab, count: 16))?.description == String(repeating: "ab", count: 16))
    }
}
