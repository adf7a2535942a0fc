import NIOCore
@testable import QUICCore
import Testing

@Suite struct PacerTests {
    static let mds = 1200
    // 1.25 * 120 000 bytes / 100 ms = 1.5 bytes per microsecond: one datagram every 800 µs.
    static let window = 120_000
    static let srtt = TimeAmount.milliseconds(100)

    @Test func initialBurstIsNotPaced() {
        var pacer = Pacer(maxDatagramSize: Self.mds)
        let now = PartsClock.at(milliseconds: 0)
        for _ in 0..<Pacer.burstDatagrams {
            let wait = pacer.delay(bytes: Self.mds, congestionWindow: Self.window, smoothedRTT: Self.srtt, now: now)
            #expect(wait == nil)
            pacer.onSent(bytes: Self.mds, now: now)
        }
        // The bucket is empty: the next datagram waits 1200 bytes / 1.5 bytes per µs = 800 µs.
        let next = pacer.delay(bytes: Self.mds, congestionWindow: Self.window, smoothedRTT: Self.srtt, now: now)
        #expect(next == now + .microseconds(800))
    }

    @Test func steadyStateSpacingMatchesRate() {
        var pacer = Pacer(maxDatagramSize: Self.mds)
        var now = PartsClock.at(milliseconds: 0)
        var sendTimes: [NIODeadline] = []
        while sendTimes.count < 40 {
            if let deadline = pacer.delay(bytes: Self.mds, congestionWindow: Self.window, smoothedRTT: Self.srtt,
                                          now: now) {
                #expect(deadline > now)
                now = deadline  // the shell's timer fires exactly then
                continue
            }
            pacer.onSent(bytes: Self.mds, now: now)
            sendTimes.append(now)
        }
        let gaps = zip(sendTimes.dropFirst(), sendTimes).map { $0 - $1 }
        #expect(gaps.prefix(9).allSatisfy { $0 == .zero })
        #expect(gaps.dropFirst(9).allSatisfy { $0 == .microseconds(800) })
        // 30 paced datagrams take 30 * 800 µs = 24 ms: the rate is 1.25 * cwnd / srtt.
        #expect(sendTimes.last! - sendTimes.first! == .milliseconds(24))
    }

    @Test func smallFlowsAreNeverPaced() {
        var pacer = Pacer(maxDatagramSize: Self.mds)
        for round in Int64(0)..<5 {
            // Ten datagrams per RTT: the bucket refills (to its 10-datagram cap) between the bursts.
            let now = PartsClock.at(milliseconds: round * 100)
            for _ in 0..<10 {
                let wait = pacer.delay(bytes: Self.mds, congestionWindow: Self.window, smoothedRTT: Self.srtt, now: now)
                #expect(wait == nil)
                pacer.onSent(bytes: Self.mds, now: now)
            }
        }
    }

    @Test func idleTimeRefillsOnlyUpToTheBurst() {
        var pacer = Pacer(maxDatagramSize: Self.mds)
        let start = PartsClock.at(milliseconds: 0)
        _ = pacer.delay(bytes: Self.mds, congestionWindow: Self.window, smoothedRTT: Self.srtt, now: start)
        pacer.onSent(bytes: 12_000, now: start)
        #expect(pacer.tokens == 0)
        // An hour later: no overflow, and the bucket holds exactly the burst again.
        let later = start + .hours(1)
        let wait = pacer.delay(bytes: Self.mds, congestionWindow: Self.window, smoothedRTT: Self.srtt, now: later)
        #expect(wait == nil)
        #expect(pacer.tokens == 10 * Self.mds)
    }

    @Test func fastFlowsBurstForOneTimerTick() {
        var pacer = Pacer(maxDatagramSize: Self.mds)
        let now = PartsClock.at(milliseconds: 0)
        // 1.25 * 12.5 MB / 10 ms = 1.5625 bytes per ns: 1 ms of rate is 1 562 500 bytes.
        _ = pacer.delay(bytes: Self.mds, congestionWindow: 12_500_000, smoothedRTT: .milliseconds(10), now: now)
        #expect(pacer.capacity == 1_562_500)
    }

    @Test func noPacingWithoutRate() {
        var pacer = Pacer(maxDatagramSize: Self.mds)
        let now = PartsClock.at(milliseconds: 0)
        pacer.onSent(bytes: 100_000, now: now)
        let wait = pacer.delay(bytes: Self.mds, congestionWindow: Self.window, smoothedRTT: .zero, now: now)
        #expect(wait == nil)
        let wait2 = pacer.delay(bytes: Self.mds, congestionWindow: 0, smoothedRTT: Self.srtt, now: now)
        #expect(wait2 == nil)
    }
}
