import NIOCore
@testable import QUICCore
import Testing

@Suite struct SendFlowCreditTests {
    @Test func limitOnlyIncreases() {
        var credit = SendFlowCredit(limit: 1000)
        let raised = credit.raise(to: 500)
        #expect(!raised)
        let raised2 = credit.raise(to: 1000)
        #expect(!raised2)
        #expect(credit.limit == 1000)
        let raised3 = credit.raise(to: 2000)
        #expect(raised3)
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
        let report = credit.takeBlockedReport(sent: 999)
        #expect(report == nil)
        let report2 = credit.takeBlockedReport(sent: 1000)
        #expect(report2 == 1000)
        #expect(credit.blockedReportedAt == 1000)
        let report3 = credit.takeBlockedReport(sent: 1000)
        #expect(report3 == nil)
        credit.raise(to: 3000)
        let report4 = credit.takeBlockedReport(sent: 1000)
        #expect(report4 == nil)
        let report5 = credit.takeBlockedReport(sent: 3000)
        #expect(report5 == 3000)
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
        let update = window.onConsumed(upTo: 400, now: PartsClock.at(milliseconds: 0), smoothedRTT: Self.rtt)
        #expect(update == nil)
        let update2 = window.onConsumed(upTo: 500, now: PartsClock.at(milliseconds: 0), smoothedRTT: Self.rtt)
        #expect(update2 == nil)
        let update3 = window.onConsumed(upTo: 501, now: PartsClock.at(milliseconds: 0), smoothedRTT: Self.rtt)
        #expect(update3 == 1501)
        #expect(window.limit == 1501)
        #expect(window.check(highestOffset: 1501))
        // Going backwards changes nothing.
        let update4 = window.onConsumed(upTo: 100, now: PartsClock.at(milliseconds: 5000), smoothedRTT: Self.rtt)
        #expect(update4 == nil)
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
        let update = window.onConsumed(upTo: 600, now: PartsClock.at(milliseconds: 0), smoothedRTT: Self.rtt)
        #expect(update == 1600)
        // The next update comes 10 ms later, less than 2 RTTs: the window is too small and doubles.
        let update2 = window.onConsumed(upTo: 1200, now: PartsClock.at(milliseconds: 10), smoothedRTT: Self.rtt)
        #expect(update2 == 3200)
        #expect(window.window == 2000)
        let update3 = window.onConsumed(upTo: 2300, now: PartsClock.at(milliseconds: 20), smoothedRTT: Self.rtt)
        #expect(update3 == 6300)
        #expect(window.window == 4000)
        let update4 = window.onConsumed(upTo: 4400, now: PartsClock.at(milliseconds: 30), smoothedRTT: Self.rtt)
        #expect(update4 == 12_400)
        #expect(window.window == 8000)
        let update5 = window.onConsumed(upTo: 8500, now: PartsClock.at(milliseconds: 40), smoothedRTT: Self.rtt)
        #expect(update5 == 16_500)
        #expect(window.window == 8000)
    }

    @Test func limitStaysWithinVarintRange() {
        let max = ReceiveFlowWindow.maxLimit
        var window = ReceiveFlowWindow(initialWindow: .max, maxWindow: .max)
        #expect(window.limit == max)
        let update = window.onConsumed(upTo: max, now: PartsClock.at(milliseconds: 0), smoothedRTT: Self.rtt)
        #expect(update == nil)
        let update2 = window.onConsumed(upTo: max, now: PartsClock.at(milliseconds: 1), smoothedRTT: Self.rtt)
        #expect(update2 == nil)
        #expect(window.limit == max)
    }
}
