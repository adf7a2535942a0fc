import NIOCore
import Testing
import ZTNASimulation

/// RFC 4787 §4.1 mapping and §5 filtering of every preset, observed from outside the box the way RFC 5780's
/// behaviour discovery does it.
@Suite struct NATBehaviourTests {
    struct Expectation: Sendable, CustomTestStringConvertible {
        let name: String
        let behaviour: NATBehaviour
        /// §4.1: same external port towards another port of the same IP / towards another IP.
        let sameMappingOtherPort: Bool
        let sameMappingOtherIP: Bool
        /// §5: the server's mapping admits the server from another port / another IP.
        let admitsOtherPort: Bool
        let admitsOtherIP: Bool
        var testDescription: String { name }
    }

    static let table: [Expectation] = [
        Expectation(name: "fullCone", behaviour: .fullCone, sameMappingOtherPort: true, sameMappingOtherIP: true,
                    admitsOtherPort: true, admitsOtherIP: true),
        Expectation(name: "addressRestrictedCone", behaviour: .addressRestrictedCone, sameMappingOtherPort: true,
                    sameMappingOtherIP: true, admitsOtherPort: true, admitsOtherIP: false),
        Expectation(name: "portRestrictedCone", behaviour: .portRestrictedCone, sameMappingOtherPort: true,
                    sameMappingOtherIP: true, admitsOtherPort: false, admitsOtherIP: false),
        Expectation(name: "addressDependentMapping", behaviour: .addressDependentMapping,
                    sameMappingOtherPort: true, sameMappingOtherIP: false, admitsOtherPort: true,
                    admitsOtherIP: false),
        Expectation(name: "symmetric", behaviour: .symmetric, sameMappingOtherPort: false,
                    sameMappingOtherIP: false, admitsOtherPort: false, admitsOtherIP: false),
    ]

    @Test func theTableCoversEveryPreset() {
        #expect(Self.table.map(\.name) == NATBehaviour.presets.map(\.name))
        #expect(Self.table.map(\.behaviour) == NATBehaviour.presets.map(\.behaviour))
    }

    @Test(arguments: table)
    func mappingFollowsRFC4787Section4_1(_ expected: Expectation) throws {
        var lab = try NATLab(expected.behaviour)
        let server6000 = try address("198.51.100.10", 6000)
        let toServerSent = lab.clientSends(to: lab.serverAddress, "a")
        let toServer = try #require(toServerSent)
        let toOtherPortSent = lab.clientSends(to: server6000, "b")
        let toOtherPort = try #require(toOtherPortSent)
        let toOtherIPSent = lab.clientSends(to: lab.thirdAddress, "c")
        let toOtherIP = try #require(toOtherIPSent)
        #expect(toServer.ipAddress == "203.0.113.1")
        #expect((toOtherPort == toServer) == expected.sameMappingOtherPort)
        #expect((toOtherIP == toServer) == expected.sameMappingOtherIP)
        let distinctPorts = Set([toServer, toOtherPort, toOtherIP]).count
        #expect(lab.net.mappings(of: lab.nat, now: t0 + .seconds(1)).count == distinctPorts)
    }

    @Test(arguments: table)
    func filteringFollowsRFC4787Section5(_ expected: Expectation) throws {
        var lab = try NATLab(expected.behaviour)
        let externalSent = lab.clientSends(to: lab.serverAddress)
        let external = try #require(externalSent)
        // The contacted endpoint itself is always admitted.
        let reply = lab.sendToClient(from: lab.server, port: 5000, to: external, "reply", at: t0 + .seconds(1))
        #expect(reply.map(\.text) == ["reply"])
        #expect(reply.first?.source == lab.serverAddress)
        #expect(reply.first?.localAddress == lab.net.address(of: lab.client, port: lab.clientPort))
        let otherPort = lab.sendToClient(from: lab.server, port: 6000, to: external, "p", at: t0 + .seconds(2))
        #expect(otherPort.map(\.text) == (expected.admitsOtherPort ? ["p"] : []))
        let otherIP = lab.sendToClient(from: lab.third, port: 5000, to: external, "i", at: t0 + .seconds(3))
        #expect(otherIP.map(\.text) == (expected.admitsOtherIP ? ["i"] : []))
        let refused = (expected.admitsOtherPort ? 0 : 1) + (expected.admitsOtherIP ? 0 : 1)
        #expect(lab.net.drops[.filtered, default: 0] == refused)
        #expect(lab.net.totalDrops == refused)
    }

    @Test func fullConeLetsAThirdHostIn() throws {
        var lab = try NATLab(.fullCone)
        let externalSent = lab.clientSends(to: lab.serverAddress)
        let external = try #require(externalSent)
        let got = lab.sendToClient(from: lab.third, port: 7777, to: external, "hello", at: t0 + .seconds(1))
        let third7777 = try address("198.51.100.20", 7777)
        #expect(got.map(\.source) == [third7777])
        let mapping = try #require(lab.net.mappings(of: lab.nat, now: t0 + .seconds(2)).first)
        #expect(mapping.remote == nil)
        let internalAddress = try address("192.168.1.2", 40000)
        #expect(mapping.internalAddress == internalAddress)
    }

    @Test func symmetricRecordsTheDestinationOfEveryMapping() throws {
        var lab = try NATLab(.symmetric)
        let server6000 = try address("198.51.100.10", 6000)
        let aSent = lab.clientSends(to: lab.serverAddress, "a")
        let a = try #require(aSent)
        let bSent = lab.clientSends(to: server6000, "b")
        let b = try #require(bSent)
        let mappings = lab.net.mappings(of: lab.nat, now: t0 + .seconds(1))
        #expect(Set(mappings.map(\.externalAddress)) == [a, b])
        #expect(Set(mappings.compactMap(\.remote)) == [lab.serverAddress, server6000])
        // A reply from port 6000 to the mapping made for port 5000 is refused: APDF is per mapping.
        #expect(lab.sendToClient(from: lab.server, port: 6000, to: a, at: t0 + .seconds(1)).isEmpty)
        #expect(lab.net.drops[.filtered] == 1)
    }

    @Test func addressDependentMappingSharesThePortAcrossPortsOfOneIP() throws {
        var lab = try NATLab(.addressDependentMapping)
        let server9999 = try address("198.51.100.10", 9999)
        let aSent = lab.clientSends(to: lab.serverAddress, "a")
        let a = try #require(aSent)
        let bSent = lab.clientSends(to: server9999, "b")
        let b = try #require(bSent)
        let cSent = lab.clientSends(to: lab.thirdAddress, "c")
        let c = try #require(cSent)
        #expect(a == b)
        #expect(a != c)
        let mappings = lab.net.mappings(of: lab.nat, now: t0 + .seconds(1))
        #expect(mappings.count == 2)
        // The mapping remembers the destination that created it; both server ports were contacted through it.
        let serverMapping = try #require(mappings.first { $0.externalAddress == a })
        #expect(serverMapping.remote == lab.serverAddress)
        #expect(serverMapping.contacted == [lab.serverAddress, server9999])
    }
}
