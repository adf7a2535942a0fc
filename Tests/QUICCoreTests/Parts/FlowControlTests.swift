import NIOCore
@testable import QUICCore
import Testing

@Suite struct SendFlowCreditTests {
    @Test func limitOnlyIncreases() {
        var credit = SendFlowCredit(limit: 1000)
        #expect(!credit.raise(to: 500))
        #expect(!credit.raise(to: 1000))
        #expect(credit.limit == 1000)
        #expect(credit.raise(to: 2000))
        #expect(credit.limit == 2000)
    }

    @Test func availableSaturates() {
        let credit = SendFlowCredit(limit: 2000)
        #expect(credit.available(sent: 0) == 2000)
        #expect(credit.available(sent: 1500) == 500)
        #expect(credit.available(sent: 2000) == 0)
        #expect(credit.available(sent: 5000) == 0)
    }

    @Test func blockedIsReportedOncePerLimit() {
        var credit = SendFlowCredit(limit: 1000)
        #expect(credit.takeBlockedReport(sent: 999) == nil)
        #expect(credit.takeBlockedReport(sent: 1000) == 1000)
        #expect(credit.blockedReportedAt == 1000)
        #expect(credit.takeBlockedReport(sent: 1000) == nil)
        credit.raise(to: 3000)
        #expect(credit.takeBlockedReport(sent: 1000) == nil)
        #expect(credit.takeBlockedReport(sent: 3000) == 3000)
    }
}

@Suite struct ReceiveFlowWindowTests {
    static let rtt = TimeAmount.milliseconds(100)

    @Test func checkAgainstAdvertisedLimit() {
        let window = ReceiveFlowWindow(initialWindow: 1000, maxWindow: 8000)
        #expect(window.limit == 1000)
        #expect(window.check(highestOffset: 0))
        #expect(window.check(highestOffset: 1000))
        #expect(!window.check(highestOffset: 1001))
    }

    @Test func updateAfterHalfTheWindowIsConsumed() {
        var window = ReceiveFlowWindow(initialWindow: 1000, maxWindow: 8000)
        #expect(window.onConsumed(upTo: 400, now: PartsClock.at(milliseconds: 0), smoothedRTT: Self.rtt) == nil)
        #expect(window.onConsumed(upTo: 500, now: PartsClock.at(milliseconds: 0), smoothedRTT: Self.rtt) == nil)
        #expect(window.onConsumed(upTo: 501, now: PartsClock.at(milliseconds: 0), smoothedRTT: Self.rtt) == 1501)
        #expect(window.limit == 1501)
        #expect(window.check(highestOffset: 1501))
        // Going backwards changes nothing.
        #expect(window.onConsumed(upTo: 100, now: PartsClock.at(milliseconds: 5000), smoothedRTT: Self.rtt) == nil)
        #expect(window.consumed == 501)
    }

    @Test func slowUpdatesKeepTheWindow() {
        var window = ReceiveFlowWindow(initialWindow: 1000, maxWindow: 8000)
        var consumed: UInt64 = 0
        for second in Int64(0)..<5 {
            consumed += 600
            let update = window.onConsumed(upTo: consumed, now: PartsClock.at(milliseconds: second * 1000),
                                           smoothedRTT: Self.rtt)
            #expect(update == consumed + 1000)
        }
        #expect(window.window == 1000)
    }

    @Test func fastUpdatesDoubleTheWindowUpToTheMaximum() {
        var window = ReceiveFlowWindow(initialWindow: 1000, maxWindow: 8000)
        #expect(window.onConsumed(upTo: 600, now: PartsClock.at(milliseconds: 0), smoothedRTT: Self.rtt) == 1600)
        // The next update comes 10 ms later, less than 2 RTTs: the window is too small and doubles.
        #expect(window.onConsumed(upTo: 1200, now: PartsClock.at(milliseconds: 10), smoothedRTT: Self.rtt) == 3200)
        #expect(window.window == 2000)
        #expect(window.onConsumed(upTo: 2300, now: PartsClock.at(milliseconds: 20), smoothedRTT: Self.rtt) == 6300)
        #expect(window.window == 4000)
        #expect(window.onConsumed(upTo: 4400, now: PartsClock.at(milliseconds: 30), smoothedRTT: Self.rtt) == 12_400)
        #expect(window.window == 8000)
        #expect(window.onConsumed(upTo: 8500, now: PartsClock.at(milliseconds: 40), smoothedRTT: Self.rtt) == 16_500)
        #expect(window.window == 8000)
    }

    @Test func limitStaysWithinVarintRange() {
        let max = ReceiveFlowWindow.maxLimit
        var window = ReceiveFlowWindow(initialWindow: .max, maxWindow: .max)
        #expect(window.limit == max)
        #expect(window.onConsumed(upTo: max, now: PartsClock.at(milliseconds: 0), smoothedRTT: Self.rtt) == nil)
        #expect(window.onConsumed(upTo: max, now: PartsClock.at(milliseconds: 1), smoothedRTT: Self.rtt) == nil)
        #expect(window.limit == max)
    }
}
