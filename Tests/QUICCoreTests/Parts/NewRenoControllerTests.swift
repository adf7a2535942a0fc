import NIOCore
@testable import QUICCore
import Testing

@Suite struct NewRenoControllerTests {
    static let mds = 1200
    let rtt = RTTEstimator()

    private func ack(_ controller: inout NewRenoController, packets: Int, sentAt: Int64, at now: Int64,
                     appLimited: Bool = false) {
        for _ in 0..<packets {
            controller.onAcked(bytes: Self.mds, timeSent: PartsClock.at(milliseconds: sentAt),
                               now: PartsClock.at(milliseconds: now), rtt: rtt, isAppLimited: appLimited)
        }
    }

    @Test func initialAndMinimumWindows() {
        #expect(CongestionWindowLimits.initialWindow(maxDatagramSize: 1200) == 12_000)
        #expect(CongestionWindowLimits.initialWindow(maxDatagramSize: 1500) == 14_720)
        #expect(CongestionWindowLimits.initialWindow(maxDatagramSize: 9000) == 18_000)
        #expect(CongestionWindowLimits.minimumWindow(maxDatagramSize: 1200) == 2400)
        let controller = NewRenoController(maxDatagramSize: Self.mds)
        #expect(controller.congestionWindow == 12_000)
        #expect(controller.slowStartThreshold == .max)
        #expect(!controller.inRecovery)
    }

    @Test func factoryBuildsTheRequestedAlgorithm() {
        #expect(CongestionControlAlgorithm.newReno.makeController(maxDatagramSize: 1200) is NewRenoController)
        #expect(CongestionControlAlgorithm.cubic.makeController(maxDatagramSize: 1200) is CubicController)
        #expect(CongestionControlAlgorithm(rawValue: "cubic") == .cubic)
        #expect(CongestionControlAlgorithm.allCases.count == 2)
    }

    @Test func slowStartGrowsByAckedBytes() {
        var controller = NewRenoController(maxDatagramSize: Self.mds)
        ack(&controller, packets: 10, sentAt: 0, at: 100)
        #expect(controller.congestionWindow == 24_000)
    }

    @Test func appLimitedAcksDoNotGrowTheWindow() {
        var controller = NewRenoController(maxDatagramSize: Self.mds)
        ack(&controller, packets: 10, sentAt: 0, at: 100, appLimited: true)
        #expect(controller.congestionWindow == 12_000)
    }

    @Test func lossHalvesTheWindowAndEntersRecovery() {
        var controller = NewRenoController(maxDatagramSize: Self.mds)
        ack(&controller, packets: 5, sentAt: 0, at: 100)  // 18 000
        controller.onCongestionEvent(timeSent: PartsClock.at(milliseconds: 50), now: PartsClock.at(milliseconds: 200))
        #expect(controller.inRecovery)
        #expect(controller.slowStartThreshold == 9000)
        #expect(controller.congestionWindow == 9000)
    }

    @Test func oneReductionPerRecoveryPeriod() {
        var controller = NewRenoController(maxDatagramSize: Self.mds)
        ack(&controller, packets: 5, sentAt: 0, at: 100)  // 18 000
        controller.onCongestionEvent(timeSent: PartsClock.at(milliseconds: 50), now: PartsClock.at(milliseconds: 200))
        // More losses from the same flight (sent before the recovery started): no further reduction.
        controller.onCongestionEvent(timeSent: PartsClock.at(milliseconds: 60), now: PartsClock.at(milliseconds: 210))
        controller.onCongestionEvent(timeSent: PartsClock.at(milliseconds: 200), now: PartsClock.at(milliseconds: 220))
        #expect(controller.congestionWindow == 9000)
        // Acknowledgements of packets sent before the recovery neither grow the window nor end recovery.
        ack(&controller, packets: 10, sentAt: 150, at: 230)
        #expect(controller.congestionWindow == 9000)
        #expect(controller.inRecovery)
        // A packet sent after the recovery started is lost: a new period, a new reduction.
        controller.onCongestionEvent(timeSent: PartsClock.at(milliseconds: 201), now: PartsClock.at(milliseconds: 300))
        #expect(controller.congestionWindow == 4500)
        #expect(controller.slowStartThreshold == 4500)
    }

    @Test func recoveryEndsWithAckOfPacketSentAfterItStarted() {
        var controller = NewRenoController(maxDatagramSize: Self.mds)
        ack(&controller, packets: 5, sentAt: 0, at: 100)  // 18 000
        controller.onCongestionEvent(timeSent: PartsClock.at(milliseconds: 50), now: PartsClock.at(milliseconds: 200))
        ack(&controller, packets: 1, sentAt: 210, at: 300)
        #expect(!controller.inRecovery)
    }

    @Test func congestionAvoidanceAddsOneDatagramPerWindow() {
        var controller = NewRenoController(maxDatagramSize: Self.mds)
        ack(&controller, packets: 5, sentAt: 0, at: 100)  // 18 000
        controller.onCongestionEvent(timeSent: PartsClock.at(milliseconds: 50), now: PartsClock.at(milliseconds: 200))
        // cwnd = ssthresh = 9000: congestion avoidance. 7 * 1200 = 8400 < 9000 bytes acked: no growth yet.
        ack(&controller, packets: 7, sentAt: 210, at: 300)
        #expect(controller.congestionWindow == 9000)
        ack(&controller, packets: 1, sentAt: 210, at: 300)
        #expect(controller.congestionWindow == 10_200)
        // The 600 bytes left over count towards the next window of 10 200.
        ack(&controller, packets: 8, sentAt: 210, at: 300)  // 600 + 9600 = 10 200
        #expect(controller.congestionWindow == 11_400)
    }

    @Test func persistentCongestionCollapsesToMinimum() {
        var controller = NewRenoController(maxDatagramSize: Self.mds)
        ack(&controller, packets: 10, sentAt: 0, at: 100)  // 24 000
        controller.onCongestionEvent(timeSent: PartsClock.at(milliseconds: 50), now: PartsClock.at(milliseconds: 200))
        controller.onPersistentCongestion()
        #expect(controller.congestionWindow == 2400)
        #expect(!controller.inRecovery)
        #expect(controller.slowStartThreshold == 12_000)
        // Slow start again up to the threshold; even a packet sent before the old recovery counts now.
        ack(&controller, packets: 2, sentAt: 150, at: 300)
        #expect(controller.congestionWindow == 4800)
        controller.onCongestionEvent(timeSent: PartsClock.at(milliseconds: 150), now: PartsClock.at(milliseconds: 310))
        #expect(controller.congestionWindow == 2400)
    }

    @Test func windowNeverDropsBelowMinimum() {
        var controller = NewRenoController(maxDatagramSize: Self.mds)
        for step in Int64(1)...10 {
            controller.onCongestionEvent(timeSent: PartsClock.at(milliseconds: step * 100 - 1),
                                         now: PartsClock.at(milliseconds: step * 100))
        }
        #expect(controller.congestionWindow == 2400)
        #expect(controller.slowStartThreshold == 2400)
    }

    @Test func resetRestoresInitialState() {
        var controller = NewRenoController(maxDatagramSize: Self.mds)
        controller.onCongestionEvent(timeSent: PartsClock.at(milliseconds: 1), now: PartsClock.at(milliseconds: 2))
        controller.reset()
        #expect(controller.congestionWindow == 12_000)
        #expect(controller.slowStartThreshold == .max)
        #expect(!controller.inRecovery)
        // No recovery period survives the reset.
        controller.onCongestionEvent(timeSent: PartsClock.at(milliseconds: 1), now: PartsClock.at(milliseconds: 3))
        #expect(controller.congestionWindow == 6000)
    }
}
