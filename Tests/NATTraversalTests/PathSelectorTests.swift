import NATTraversal
import NIOCore
import Testing

// MARK: - Selection with hysteresis (DESIGN.md §6)

@Suite struct PathSelectorTests {
    struct Row: Sendable, CustomStringConvertible {
        var current: PathMeasurement
        var candidate: PathMeasurement
        var switches: Bool
        var description: String { "\(current) → \(candidate)" }
    }

    static func ms(_ value: Int64) -> TimeAmount { .milliseconds(value) }

    static let table: [Row] = [
        // The relay is a backup tier: any direct path replaces it, even a slower one.
        Row(current: .relayed(rtt: ms(5)), candidate: .direct(rtt: ms(200)), switches: true),
        Row(current: .relayed(rtt: nil), candidate: .direct(rtt: nil), switches: true),
        // Selection never goes back to the relay; only liveness does.
        Row(current: .direct(rtt: ms(200)), candidate: .relayed(rtt: ms(10)), switches: false),
        Row(current: .relayed(rtt: ms(10)), candidate: .relayed(rtt: ms(1)), switches: false),
        // 10 % dominates above 50 ms.
        Row(current: .direct(rtt: ms(100)), candidate: .direct(rtt: ms(91)), switches: false),
        Row(current: .direct(rtt: ms(100)), candidate: .direct(rtt: ms(90)), switches: true),
        Row(current: .direct(rtt: ms(300)), candidate: .direct(rtt: ms(271)), switches: false),
        Row(current: .direct(rtt: ms(300)), candidate: .direct(rtt: ms(270)), switches: true),
        // 5 ms dominates below 50 ms.
        Row(current: .direct(rtt: ms(30)), candidate: .direct(rtt: ms(26)), switches: false),
        Row(current: .direct(rtt: ms(30)), candidate: .direct(rtt: ms(25)), switches: true),
        Row(current: .direct(rtt: ms(4)), candidate: .direct(rtt: ms(0)), switches: false),
        // Worse or equal never switches; without samples there is no evidence.
        Row(current: .direct(rtt: ms(20)), candidate: .direct(rtt: ms(40)), switches: false),
        Row(current: .direct(rtt: ms(20)), candidate: .direct(rtt: ms(20)), switches: false),
        Row(current: .direct(rtt: nil), candidate: .direct(rtt: ms(1)), switches: false),
        Row(current: .direct(rtt: ms(100)), candidate: .direct(rtt: nil), switches: false),
    ]

    @Test(arguments: table) func hysteresis(_ row: Row) {
        #expect(PathSelector().shouldSwitch(from: row.current, to: row.candidate) == row.switches)
    }

    @Test func requiredImprovementIsMaxOfFiveMillisecondsAndTenPercent() {
        let selector = PathSelector()
        #expect(selector.requiredImprovement(over: .milliseconds(20)) == .milliseconds(5))
        #expect(selector.requiredImprovement(over: .milliseconds(50)) == .milliseconds(5))
        #expect(selector.requiredImprovement(over: .milliseconds(80)) == .milliseconds(8))
        #expect(selector.requiredImprovement(over: .seconds(1)) == .milliseconds(100))
    }

    @Test func choosePicksTheBestAcceptableCandidate() {
        let selector = PathSelector()
        let candidates: [PathMeasurement] = [
            .direct(rtt: .milliseconds(95)), .relayed(rtt: .milliseconds(1)),
            .direct(rtt: .milliseconds(60)), .direct(rtt: .milliseconds(60)), .direct(rtt: .milliseconds(70)),
        ]
        #expect(selector.choose(current: .direct(rtt: .milliseconds(100)), among: candidates) == 2)
        #expect(selector.choose(current: .direct(rtt: .milliseconds(62)), among: candidates) == nil)
        #expect(selector.choose(current: .relayed(rtt: .milliseconds(1)), among: candidates) == 2)
        #expect(selector.choose(current: .relayed(rtt: nil), among: []) == nil)
    }
}
