import IPPacket
import NIOCore
import Testing
import ZTNAConfig
@testable import ZTNARuntime

/// The connector's flow table with time passed in (the flows are not run: no sockets).
@Suite("ConnectorUDPFlows")
struct TunnelConnectorUDPFlowsTests {
    private let backend = HostPort(host: "127.0.0.1", port: 9)

    private func key(_ sourcePort: UInt16) -> UDPFlowKey {
        UDPFlowKey(addresses: .v4(source: IPv4Address(10, 100, 0, 254), destination: IPv4Address(10, 100, 0, 1)),
                   sourcePort: sourcePort, destinationPort: 7)
    }

    @Test func oneFlowPer5TupleUpToTheLimit() {
        var limits = TunnelLimits()
        limits.maxFlowsPerTunnel = 2
        let counters = TunnelCounters()
        let flows = ConnectorUDPFlows(limits: limits, counters: counters)
        let now = NIODeadline.uptimeNanoseconds(1_000)

        let first = flows.dispatch(key(1), payload: [1], backend: backend, now: now)
        #expect(first != nil)
        #expect(flows.dispatch(key(1), payload: [2], backend: backend, now: now) == nil)   // same flow, queued
        #expect(flows.dispatch(key(2), payload: [3], backend: backend, now: now) != nil)
        #expect(flows.dispatch(key(3), payload: [4], backend: backend, now: now) == nil)   // over the limit
        #expect(flows.count == 2)
        #expect(counters.udpFlowsCreated == 2)
        #expect(counters.drops(.flowLimit) == 1)
    }

    /// Idle for the timeout → removed and finished (its queue refuses more); a later packet opens a new flow.
    @Test func idleFlowsExpireWithTimePassedIn() throws {
        var limits = TunnelLimits()
        limits.udpFlowIdleTimeout = .seconds(60)
        let counters = TunnelCounters()
        let flows = ConnectorUDPFlows(limits: limits, counters: counters)
        let start = NIODeadline.uptimeNanoseconds(5_000_000_000)

        let quiet = try #require(flows.dispatch(key(1), payload: [1], backend: backend, now: start))
        let busy = try #require(flows.dispatch(key(2), payload: [1], backend: backend, now: start))
        _ = flows.dispatch(key(2), payload: [2], backend: backend, now: start + .seconds(40))

        flows.expire(now: start + .seconds(59))
        #expect(flows.count == 2)
        flows.expire(now: start + .seconds(61))
        #expect(flows.count == 1)
        #expect(quiet.enqueue(ByteBuffer(bytes: [9]), now: start) == .noFlow)   // finished
        #expect(busy.enqueue(ByteBuffer(bytes: [9]), now: start + .seconds(61)) == nil)

        // The expired flow's task ends: counted closed; the key opens a fresh flow.
        flows.ended(quiet)
        #expect(counters.udpFlowsLive == 1)
        let reopened = flows.dispatch(key(1), payload: [1], backend: backend, now: start + .seconds(62))
        #expect(reopened != nil && reopened !== quiet)

        flows.closeAll()
        #expect(flows.count == 0)
        #expect(flows.dispatch(key(3), payload: [1], backend: backend, now: start + .seconds(63)) == nil)
        #expect(counters.drops(.flowLimit) == 1)   // a closed table takes no new flow
    }
}
