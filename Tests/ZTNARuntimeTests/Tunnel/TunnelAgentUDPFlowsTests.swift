import NIOCore
import Testing
@testable import ZTNARuntime

/// The agent's UDP flow table and its port pool, with time passed in.
@Suite("AgentUDPFlows and FlowPortPool")
struct TunnelAgentUDPFlowsTests {
    private func client(_ port: Int) throws -> SocketAddress {
        try SocketAddress(ipAddress: "127.0.0.1", port: port)
    }

    @Test func eachClientKeepsItsOwnPortAndRepliesFindIt() throws {
        let counters = TunnelCounters()
        let flows = AgentUDPFlows(pool: FlowPortPool(range: 100...109), limit: 10, idleTimeout: .seconds(60),
                                  counters: counters)
        let now = NIODeadline.uptimeNanoseconds(1_000_000_000)
        let a = try flows.port(for: client(5_000), now: now).get()
        let b = try flows.port(for: client(5_001), now: now).get()
        #expect(a != b)
        #expect(try flows.port(for: client(5_000), now: now).get() == a)
        #expect(flows.client(forPort: a, now: now) == (try client(5_000)))
        #expect(flows.client(forPort: b, now: now) == (try client(5_001)))
        #expect(flows.client(forPort: 109, now: now) == nil)
        #expect(counters.udpFlowsCreated == 2)
        #expect(counters.udpFlowsLive == 2)
    }

    @Test func theFlowLimitHolds() throws {
        let flows = AgentUDPFlows(pool: FlowPortPool(range: 100...109), limit: 2, idleTimeout: .seconds(60),
                                  counters: TunnelCounters())
        let now = NIODeadline.uptimeNanoseconds(0)
        _ = try flows.port(for: client(1), now: now).get()
        _ = try flows.port(for: client(2), now: now).get()
        guard case .failure(.flowLimit) = flows.port(for: try client(3), now: now) else {
            Issue.record("a third flow was opened")
            return
        }
    }

    /// A flow idle for the timeout goes and returns its port; one with traffic either way stays.
    @Test func idleFlowsExpireAndReturnTheirPorts() throws {
        let pool = FlowPortPool(range: 100...101)
        let counters = TunnelCounters()
        let flows = AgentUDPFlows(pool: pool, limit: 10, idleTimeout: .seconds(60), counters: counters)
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        let quiet = try flows.port(for: client(1), now: start).get()
        let busy = try flows.port(for: client(2), now: start).get()
        #expect(pool.allocate() == nil)   // both ports taken

        // A reply at +30 s keeps the busy flow alive.
        #expect(flows.client(forPort: busy, now: start + .seconds(30)) != nil)
        flows.expire(now: start + .seconds(61))
        #expect(flows.count == 1)
        #expect(flows.client(forPort: quiet, now: start + .seconds(61)) == nil)
        #expect(counters.udpFlowsLive == 1)
        #expect(pool.allocate() == quiet)   // returned to the pool

        flows.closeAll()
        #expect(flows.count == 0)
        #expect(counters.udpFlowsLive == 0)
        guard case .failure(.closed) = flows.port(for: try client(3), now: start) else {
            Issue.record("a flow opened after closeAll")
            return
        }
    }

    /// Ports go round-robin: one just released is not handed out again while others are free.
    @Test func portPoolIsUniqueAndRoundRobin() {
        let pool = FlowPortPool(range: 10...12)
        let first = pool.allocate()
        let second = pool.allocate()
        let third = pool.allocate()
        #expect([first, second, third] == [10, 11, 12])
        #expect(pool.allocate() == nil)
        pool.release(11)
        pool.release(10)
        #expect(pool.allocate() == 10)
        #expect(pool.allocate() == 11)
        #expect(pool.allocate() == nil)
        pool.release(12)
        pool.release(10)
        #expect(pool.allocate() == 12)
    }
}
