import Testing
@testable import ZTNARuntime

@Suite("Probe duration parser")
struct ProbeDurationTests {
    @Test(arguments: [
        ("10ms", Duration.milliseconds(10)), ("1s", .seconds(1)), ("0", .zero), ("1.5s", .milliseconds(1_500)),
        ("250us", .microseconds(250)), ("2m", .seconds(120)), ("100ns", .nanoseconds(100)), (".5s", .milliseconds(500)),
        ("0ms", .zero), (" 5ms ", .milliseconds(5)), ("0.0001ms", .nanoseconds(100)), ("1.0000000009s", .seconds(1)),
        ("86400s", .seconds(86_400)),
    ])
    func parsesNumberAndUnit(_ text: String, _ expected: Duration) throws {
        #expect(try ProbeDuration.parse(text).get() == expected)
    }

    @Test(arguments: ["10", "", "ms", "-1s", "1.2.3s", "abc", "1h", "1 s", "s1", ".s", "1e3ms",
                      "99999999999999999999999s", "86401s", "1441m"])
    func refusesAnythingElse(_ text: String) {
        guard case .failure(let error) = ProbeDuration.parse(text) else {
            Issue.record("\"\(text)\" parsed")
            return
        }
        #expect(error.kind == .invalidOption)
        #expect(error.message.contains("is not a duration"))
    }

    @Test func aBareNumberOtherThanZeroAsksForAUnit() throws {
        guard case .failure(let error) = ProbeDuration.parse("100") else {
            Issue.record("a bare 100 parsed")
            return
        }
        #expect(error.message.contains("needs a unit"))
    }

    @Test(arguments: [(Duration.milliseconds(100), "100ms"), (.seconds(5), "5s"), (.zero, "0"), (.milliseconds(1_500), "1500ms"),
                      (.seconds(120), "2m"), (.microseconds(7), "7us"), (.nanoseconds(3), "3ns")])
    func formatsInTheLargestExactUnit(_ duration: Duration, _ text: String) throws {
        #expect(ProbeDuration.format(duration) == text)
        #expect(try ProbeDuration.parse(text).get() == duration)
    }
}
