import NIOCore
@testable import QUICCore
import Testing

@Suite struct RTTEstimatorTests {
    @Test func initialStateBeforeAnySample() {
        let rtt = RTTEstimator(initialRTT: .milliseconds(333))
        #expect(!rtt.hasSample)
        #expect(rtt.smoothedRTT == .milliseconds(333))
        #expect(rtt.rttVariance == .microseconds(166_500))
        #expect(rtt.minRTT == .zero)
        // RFC 9002 §6.2.2: the initial PTO is 333 ms + 4 * 166.5 ms = 999 ms.
        #expect(rtt.probeTimeout(maxAckDelay: .milliseconds(25), includeMaxAckDelay: false) == .milliseconds(999))
        #expect(rtt.probeTimeout(maxAckDelay: .milliseconds(25), includeMaxAckDelay: true) == .milliseconds(1024))
    }

    @Test func firstSampleInitializesEverything() {
        var rtt = RTTEstimator()
        // RFC 9002 §5.3: the ack delay is ignored for the first sample.
        rtt.update(latestRTT: .milliseconds(100), ackDelay: .milliseconds(30), handshakeConfirmed: false)
        #expect(rtt.hasSample)
        #expect(rtt.latestRTT == .milliseconds(100))
        #expect(rtt.minRTT == .milliseconds(100))
        #expect(rtt.smoothedRTT == .milliseconds(100))
        #expect(rtt.rttVariance == .milliseconds(50))
    }

    @Test func subsequentSampleSubtractsAckDelay() {
        var rtt = RTTEstimator()
        rtt.update(latestRTT: .milliseconds(100), ackDelay: .zero, handshakeConfirmed: true)
        // 150 - 20 = 130 >= min_rtt 100: adjusted_rtt = 130.
        rtt.update(latestRTT: .milliseconds(150), ackDelay: .milliseconds(20), handshakeConfirmed: true)
        // rttvar = 3/4 * 50 + 1/4 * |100 - 130| = 45; smoothed = 7/8 * 100 + 1/8 * 130 = 103.75.
        #expect(rtt.rttVariance == .milliseconds(45))
        #expect(rtt.smoothedRTT == .microseconds(103_750))
        #expect(rtt.minRTT == .milliseconds(100))
        #expect(rtt.latestRTT == .milliseconds(150))
    }

    @Test func ackDelayNotSubtractedBelowMinRTT() {
        var rtt = RTTEstimator()
        rtt.update(latestRTT: .milliseconds(100), ackDelay: .zero, handshakeConfirmed: true)
        // 110 - 20 = 90 < min_rtt 100: the sample stays 110.
        rtt.update(latestRTT: .milliseconds(110), ackDelay: .milliseconds(20), handshakeConfirmed: true)
        // rttvar = 3/4 * 50 + 1/4 * 10 = 40; smoothed = 100 + 10 / 8 = 101.25.
        #expect(rtt.rttVariance == .milliseconds(40))
        #expect(rtt.smoothedRTT == .microseconds(101_250))
    }

    @Test func minRTTIsNotAdjustedByAckDelay() {
        var rtt = RTTEstimator()
        rtt.update(latestRTT: .milliseconds(100), ackDelay: .zero, handshakeConfirmed: true)
        rtt.update(latestRTT: .milliseconds(90), ackDelay: .milliseconds(10), handshakeConfirmed: true)
        #expect(rtt.minRTT == .milliseconds(90))
        rtt.update(latestRTT: .milliseconds(200), ackDelay: .milliseconds(150), handshakeConfirmed: true)
        #expect(rtt.minRTT == .milliseconds(90))
    }

    @Test func hugeAckDelayDoesNotTrap() {
        var rtt = RTTEstimator()
        rtt.update(latestRTT: .milliseconds(100), ackDelay: .zero, handshakeConfirmed: false)
        rtt.update(latestRTT: .milliseconds(120), ackDelay: .nanoseconds(.max), handshakeConfirmed: false)
        #expect(rtt.smoothedRTT == .microseconds(102_500))
    }

    @Test func probeTimeoutUsesGranularityFloor() {
        var rtt = RTTEstimator()
        for _ in 0..<200 { rtt.update(latestRTT: .milliseconds(10), ackDelay: .zero, handshakeConfirmed: true) }
        // rttvar decays to (almost) zero: 4 * rttvar is below kGranularity = 1 ms.
        #expect(rtt.rttVariance < .microseconds(250))
        #expect(rtt.probeTimeout(maxAckDelay: .milliseconds(25), includeMaxAckDelay: false) == .milliseconds(11))
        #expect(rtt.probeTimeout(maxAckDelay: .milliseconds(25), includeMaxAckDelay: true) == .milliseconds(36))
    }

    @Test func lossDelayIsNineEighthsOfTheLargerRTT() {
        var rtt = RTTEstimator()
        rtt.update(latestRTT: .milliseconds(80), ackDelay: .zero, handshakeConfirmed: true)
        #expect(rtt.lossDelay == .milliseconds(90))
        rtt.update(latestRTT: .milliseconds(160), ackDelay: .zero, handshakeConfirmed: true)
        // smoothed = 80 + 80/8 = 90, latest = 160: 9/8 * 160 = 180.
        #expect(rtt.lossDelay == .milliseconds(180))
        var tiny = RTTEstimator()
        tiny.update(latestRTT: .microseconds(100), ackDelay: .zero, handshakeConfirmed: true)
        #expect(tiny.lossDelay == RTTEstimator.granularity)
    }

    @Test func resetReturnsToInitialState() {
        var rtt = RTTEstimator(initialRTT: .milliseconds(100))
        rtt.update(latestRTT: .milliseconds(20), ackDelay: .zero, handshakeConfirmed: true)
        rtt.reset()
        #expect(!rtt.hasSample)
        #expect(rtt.smoothedRTT == .milliseconds(100))
        #expect(rtt.rttVariance == .milliseconds(50))
        #expect(rtt.minRTT == .zero)
        #expect(rtt.latestRTT == .zero)
    }

    @Test func minRTTRestartsAfterPersistentCongestion() {
        var rtt = RTTEstimator()
        rtt.update(latestRTT: .milliseconds(20), ackDelay: .zero, handshakeConfirmed: true)
        rtt.update(latestRTT: .milliseconds(70), ackDelay: .zero, handshakeConfirmed: true)
        #expect(rtt.minRTT == .milliseconds(20))
        rtt.resetMinRTTToLatest()
        #expect(rtt.minRTT == .milliseconds(70))
    }
}
