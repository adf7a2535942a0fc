import Foundation
import NIOCore
@testable import QUICCore
import Testing

@Suite struct CubicControllerTests {
    static let mds = 1200
    static let segment = Double(mds)
    // RFC 9438 constants, restated here so the test checks the implementation against the RFC.
    static let c = 0.4
    static let beta = 0.7
    static let alpha = 3 * (1 - beta) / (1 + beta)

    private static func rtt(_ milliseconds: Int64) -> RTTEstimator {
        var rtt = RTTEstimator()
        rtt.update(latestRTT: .milliseconds(milliseconds), ackDelay: .zero, handshakeConfirmed: true)
        return rtt
    }

    /// A controller grown in slow start to `segments`, then hit by a loss at 1000 ms.
    private static func afterLoss(segments: Int, rtt: RTTEstimator) -> CubicController {
        var controller = CubicController(maxDatagramSize: mds)
        while controller.congestionWindow < segments * mds {
            controller.onAcked(bytes: mds, timeSent: PartsClock.at(milliseconds: 0),
                               now: PartsClock.at(milliseconds: 500), rtt: rtt, isAppLimited: false)
        }
        controller.onCongestionEvent(timeSent: PartsClock.at(milliseconds: 999), now: PartsClock.at(milliseconds: 1000))
        return controller
    }

    /// Acknowledges one whole window at `milliseconds` (a packet sent after the loss).
    private static func ackWindow(_ controller: inout CubicController, at milliseconds: Int64, rtt: RTTEstimator,
                                  appLimited: Bool = false) {
        controller.onAcked(bytes: controller.congestionWindow, timeSent: PartsClock.at(milliseconds: 1001),
                           now: PartsClock.at(milliseconds: milliseconds), rtt: rtt, isAppLimited: appLimited)
    }

    // MARK: - Reduction

    @Test func lossReducesByBetaAndRecordsWMax() {
        let rtt = Self.rtt(100)
        let controller = Self.afterLoss(segments: 100, rtt: rtt)
        #expect(controller.inRecovery)
        #expect(controller.wMax == 100)
        #expect(controller.congestionWindow == 84_000)  // 0.7 * 120 000
        #expect(controller.slowStartThreshold == 84_000)
    }

    @Test func noGrowthDuringRecoveryAndOneReductionPerPeriod() {
        let rtt = Self.rtt(100)
        var controller = Self.afterLoss(segments: 100, rtt: rtt)
        controller.onAcked(bytes: Self.mds, timeSent: PartsClock.at(milliseconds: 900),
                           now: PartsClock.at(milliseconds: 1050), rtt: rtt, isAppLimited: false)
        controller.onCongestionEvent(timeSent: PartsClock.at(milliseconds: 1000), now: PartsClock.at(milliseconds: 1060))
        #expect(controller.congestionWindow == 84_000)
        #expect(controller.inRecovery)
    }

    @Test func fastConvergenceLowersWMax() {
        let rtt = Self.rtt(100)
        var controller = Self.afterLoss(segments: 100, rtt: rtt)
        Self.ackWindow(&controller, at: 1100, rtt: rtt)
        Self.ackWindow(&controller, at: 1600, rtt: rtt)
        let window = Double(controller.congestionWindow) / Self.segment
        #expect(window < 100)
        // RFC 9438 §4.7: the window stopped below W_max, so W_max = cwnd * (1 + β) / 2.
        controller.onCongestionEvent(timeSent: PartsClock.at(milliseconds: 1500), now: PartsClock.at(milliseconds: 1700))
        #expect(abs(controller.wMax - window * (1 + Self.beta) / 2) < 0.001)
        #expect(abs(Double(controller.congestionWindow) - window * Self.beta * Self.segment) <= 2)
    }

    @Test func noFastConvergenceWhenAboveWMax() {
        let rtt = Self.rtt(100)
        var controller = Self.afterLoss(segments: 100, rtt: rtt)
        Self.ackWindow(&controller, at: 1100, rtt: rtt)
        for step in Int64(1)...9 { Self.ackWindow(&controller, at: 1100 + step * 1000, rtt: rtt) }
        let window = Double(controller.congestionWindow) / Self.segment
        #expect(window > 100)
        controller.onCongestionEvent(timeSent: PartsClock.at(milliseconds: 10_500), now: PartsClock.at(milliseconds: 11_000))
        #expect(abs(controller.wMax - window) < 0.001)
    }

    // MARK: - Window growth

    /// After a loss the window follows W_cubic(t) = C (t - K)^3 + W_max: acknowledging a whole window at time t
    /// moves it to the target W_cubic(t + RTT) (RFC 9438 §4.4, §4.5).
    @Test func windowFollowsCubicFunction() {
        let rtt = Self.rtt(100)
        var controller = Self.afterLoss(segments: 100, rtt: rtt)
        // The first acknowledgement after the recovery opens the congestion avoidance stage (t = 0).
        controller.onAcked(bytes: 1, timeSent: PartsClock.at(milliseconds: 1001),
                           now: PartsClock.at(milliseconds: 1100), rtt: rtt, isAppLimited: false)
        let wMax = 100.0
        let k = cbrt(wMax * (1 - Self.beta) / Self.c)
        #expect(abs(controller.k - k) < 1e-9)
        #expect(abs(controller.cubicWindow(elapsed: 0) - 70) < 1e-9)
        func wCubic(_ t: Double) -> Double { Self.c * pow(t - k, 3) + wMax }
        for t in [0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0] {
            let before = Double(controller.congestionWindow) / Self.segment
            Self.ackWindow(&controller, at: 1100 + Int64(t * 1000), rtt: rtt)
            let target = min(max(wCubic(t + 0.1), before), 1.5 * before)
            #expect(abs(Double(controller.congestionWindow) - target * Self.segment) <= 2, "t = \(t)")
        }
        // Convex region: beyond K the window exceeds W_max.
        #expect(controller.congestionWindow > 100 * Self.mds)
    }

    /// With a short RTT the Reno-friendly estimate W_est (RFC 9438 §4.3) dominates: it grows by α_cubic segments
    /// per window until it reaches cwnd_prior, then by one segment per window like Reno.
    @Test func renoFriendlyRegion() {
        let rtt = Self.rtt(10)
        var controller = Self.afterLoss(segments: 20, rtt: rtt)
        #expect(controller.congestionWindow == 16_800)
        for round in 0..<14 {
            let before = controller.congestionWindow
            Self.ackWindow(&controller, at: 1100 + Int64(round) * 10, rtt: rtt)
            let growth = Double(controller.congestionWindow - before)
            // W_est after `round` rounds is 14 + round * α; α becomes 1 once it reaches cwnd_prior = 20.
            let alpha = 14 + Double(round) * Self.alpha >= 20 ? 1.0 : Self.alpha
            #expect(abs(growth - alpha * Self.segment) <= 2, "round \(round)")
        }
    }

    @Test func applicationLimitedTimeIsExcluded() {
        let rtt = Self.rtt(100)
        var reference = Self.afterLoss(segments: 100, rtt: rtt)
        Self.ackWindow(&reference, at: 1100, rtt: rtt)
        var limited = reference
        Self.ackWindow(&reference, at: 1300, rtt: rtt)
        // The same 200 ms of congestion avoidance, interrupted by 1.3 s of application-limited time.
        let before = limited.congestionWindow
        Self.ackWindow(&limited, at: 1300, rtt: rtt, appLimited: true)
        Self.ackWindow(&limited, at: 1800, rtt: rtt, appLimited: true)
        #expect(limited.congestionWindow == before)
        Self.ackWindow(&limited, at: 2600, rtt: rtt)
        #expect(limited.congestionWindow == reference.congestionWindow)
    }

    @Test func persistentCongestionRestartsWithZeroK() {
        let rtt = Self.rtt(100)
        var controller = Self.afterLoss(segments: 100, rtt: rtt)
        controller.onPersistentCongestion()
        #expect(controller.congestionWindow == 2400)
        #expect(!controller.inRecovery)
        // Slow start back to ssthresh (84 000 bytes = 70 segments).
        while controller.congestionWindow < controller.slowStartThreshold {
            controller.onAcked(bytes: Self.mds, timeSent: PartsClock.at(milliseconds: 1001),
                               now: PartsClock.at(milliseconds: 1200), rtt: rtt, isAppLimited: false)
        }
        #expect(controller.congestionWindow == 84_000)
        controller.onAcked(bytes: 1, timeSent: PartsClock.at(milliseconds: 1001),
                           now: PartsClock.at(milliseconds: 1300), rtt: rtt, isAppLimited: false)
        // RFC 9438 §4.8: K = 0 and W_max = the window at the start of congestion avoidance.
        #expect(controller.k == 0)
        #expect(abs(controller.wMax - 70) < 1e-9)
    }

    @Test func resetRestoresInitialState() {
        let rtt = Self.rtt(100)
        var controller = Self.afterLoss(segments: 100, rtt: rtt)
        controller.reset()
        #expect(controller.congestionWindow == 12_000)
        #expect(controller.slowStartThreshold == .max)
        #expect(controller.wMax == 0)
        #expect(!controller.inRecovery)
    }

    @Test func cubeRootMatchesFoundation() {
        for value in [0.001, 0.5, 1, 7.5, 75, 1000, 123_456.789, 1e12] {
            #expect(abs(CubicController.cubeRoot(value) - cbrt(value)) <= cbrt(value) * 1e-12)
        }
        #expect(CubicController.cubeRoot(0) == 0)
        #expect(CubicController.cubeRoot(-8) == 0)
    }
}
