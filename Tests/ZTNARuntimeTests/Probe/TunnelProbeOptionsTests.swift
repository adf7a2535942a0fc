import IPPacket
import Testing
import ZTNAConfig
import ZTNAProtocol
@testable import ZTNARuntime

@Suite("Probe options and addresses")
struct TunnelProbeOptionsTests {
    static let echo = ServiceID("echo")!
    static let v4VIP = IPAddress.v4(IPv4Address(10, 100, 0, 1))
    static let v4Tunnel = IPAddress.v4(IPv4Address(10, 100, 0, 254))

    static func options(_ change: (inout TunnelProbeOptions) -> Void = { _ in }) -> TunnelProbeOptions {
        var options = TunnelProbeOptions(service: echo, virtualIP: v4VIP, tunnelAddress: v4Tunnel)
        change(&options)
        return options
    }

    static func refusal(_ options: TunnelProbeOptions) -> TunnelProbeError? {
        do {
            try options.validate()
            return nil
        } catch {
            return error
        }
    }

    @Test func theDefaultsAreValid() {
        let options = Self.options()
        #expect(Self.refusal(options) == nil)
        #expect(options.port == 7 && options.size == 64 && options.count == 10)
        #expect(options.interval == .milliseconds(100) && options.timeout == .seconds(5))
        #expect((49_152...65_535).contains(options.sourcePort))
        #expect(options.headerOverhead == 28)
        #expect(options.capacity == 12 && options.maximumSizeSequence == 10)
    }

    @Test func sizesBelowTheSequenceHeaderAreRefusedClearly() throws {
        let error = try #require(Self.refusal(Self.options { $0.size = 7 }))
        #expect(error.kind == .invalidOption)
        #expect(error.message.contains("--size 7") && error.message.contains("at least 8"))
        #expect(Self.refusal(Self.options { $0.size = 8 }) == nil)
    }

    @Test func sizesAboveWhatAnIPPacketHoldsAreRefused() {
        #expect(Self.refusal(Self.options { $0.size = 65_507 }) == nil)
        #expect(Self.refusal(Self.options { $0.size = 65_508 })?.message.contains("65507") == true)
        let v6 = Self.options {
            $0.virtualIP = .v6(IPv6Address("fd00::1")!)
            $0.tunnelAddress = .v6(IPv6Address("fd00::fffe")!)
        }
        #expect(v6.headerOverhead == 48)
        var largest = v6
        largest.size = 65_527
        #expect(Self.refusal(largest) == nil)
        largest.size = 65_528
        #expect(Self.refusal(largest) != nil)
    }

    @Test func otherBadValuesAreRefused() {
        let bad: [TunnelProbeOptions] = [
            Self.options { $0.count = -1 },
            Self.options { $0.burst = -1 },
            Self.options { $0.count = 0; $0.burst = 0 },
            Self.options { $0.count = TunnelProbeOptions.maximumPackets; $0.burst = 1 },
            Self.options { $0.timeout = .zero },
            Self.options { $0.interval = .milliseconds(-1) },
            Self.options { $0.port = 0 },
            Self.options { $0.tunnelAddress = .v6(IPv6Address("fd00::fffe")!) },
        ]
        for options in bad { #expect(Self.refusal(options)?.kind == .invalidOption, "\(options)") }
        // Only the max-size check is something to do.
        #expect(Self.refusal(Self.options { $0.count = 0; $0.queryMaxSize = true }) == nil)
    }

    // MARK: - Addresses from agent.json

    @Test func theServicesEntryGivesTheVirtualIP() throws {
        let config = AgentConfig(services: [AgentService(id: Self.echo, virtualIP: IPAddressLiteral("10.100.0.42")!)])
        let (vip, tunnel) = try TunnelProbeOptions.addresses(for: Self.echo, config: config, virtualIP: nil)
        #expect(vip == .v4(IPv4Address(10, 100, 0, 42)))
        #expect(tunnel == Self.v4Tunnel)
    }

    @Test func vipOverridesTheFile() throws {
        let config = AgentConfig(services: [AgentService(id: Self.echo, virtualIP: IPAddressLiteral("10.100.0.42")!)])
        let (vip, _) = try TunnelProbeOptions.addresses(for: Self.echo, config: config,
                                                        virtualIP: IPAddressLiteral("10.100.0.77"))
        #expect(vip == .v4(IPv4Address(10, 100, 0, 77)))
    }

    @Test func withoutAnEntryTheDefaultPoolAssignsAfterTheForwards() throws {
        let web = ServiceID("web")!
        let config = AgentConfig(forwards: [ForwardConfig(listen: HostPort(host: "127.0.0.1", port: 8080), service: web, port: 80)])
        let (vip, _) = try TunnelProbeOptions.addresses(for: Self.echo, config: config, virtualIP: nil)
        #expect(vip == .v4(IPv4Address(10, 100, 0, 2)))   // .1 is web's, as the agent daemon assigns it
        let (alone, _) = try TunnelProbeOptions.addresses(for: Self.echo, config: AgentConfig(), virtualIP: nil)
        #expect(alone == Self.v4VIP)
    }

    @Test func tunAddressIsTheSourceAndIPv6GetsItsOwnDefault() throws {
        let withTun = AgentConfig(tun: TunConfig(address: IPAddressLiteral("10.100.0.200")))
        let (_, tunnel) = try TunnelProbeOptions.addresses(for: Self.echo, config: withTun, virtualIP: nil)
        #expect(tunnel == .v4(IPv4Address(10, 100, 0, 200)))
        let (vip6, tunnel6) = try TunnelProbeOptions.addresses(for: Self.echo, config: AgentConfig(),
                                                               virtualIP: IPAddressLiteral("fd00::1"))
        #expect(vip6 == .v6(IPv6Address("fd00::1")!))
        #expect(tunnel6 == .v6(IPv6Address("fd00::fffe")!))
    }
}
