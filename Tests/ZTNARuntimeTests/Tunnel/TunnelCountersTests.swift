import Testing
import ZTNAProtocol
@testable import ZTNARuntime

@Suite("TunnelCounters")
struct TunnelCountersTests {
    /// Drop labels are metric labels: unique, snake_case, stable.
    @Test func dropLabelsAreUniqueSnakeCase() {
        let labels = TunnelDropReason.allCases.map(\.label)
        #expect(Set(labels).count == labels.count)
        for label in labels {
            #expect(!label.isEmpty && label.allSatisfy { $0 == "_" || ("a"..."z").contains($0) }, "\(label)")
        }
        #expect(TunnelDropReason.portNotOffered.label == "port_not_offered")
    }

    @Test func countsAndSnapshotAgree() {
        let counters = TunnelCounters()
        counters.addBytesUp(10)
        counters.addBytesDown(7)
        counters.recordTCPStream(.connected)
        counters.recordTCPStream(.busy)
        counters.recordTCPStream(.busy)
        counters.udpFlowOpened()
        counters.udpFlowOpened()
        counters.udpFlowClosed()
        counters.icmpEchoAnswered()
        counters.drop(.malformed)
        counters.holdInFlight(100)
        counters.holdInFlight(50)
        counters.releaseInFlight(100)
        counters.holdInFlight(20)

        let snapshot = counters.snapshot()
        #expect(snapshot.bytesUp == 10)
        #expect(snapshot.bytesDown == 7)
        #expect(snapshot.tcpStreams[.connected] == 1)
        #expect(snapshot.tcpStreams[.busy] == 2)
        #expect(snapshot.tcpStreams[.refused] == 0)
        #expect(snapshot.udpFlowsLive == 1)
        #expect(snapshot.udpFlowsCreated == 2)
        #expect(snapshot.icmpEchoesAnswered == 1)
        #expect(snapshot.drops[.malformed] == 1)
        #expect(snapshot.totalDrops == 1)
        #expect(snapshot.bytesInFlight == 70)
        #expect(snapshot.peakBytesInFlight == 150)
        #expect(snapshot.drops.count == TunnelDropReason.allCases.count)
        #expect(snapshot.tcpStreams.count == TCPConnectStatus.allCases.count)
    }
}
