/// The duration syntax of `ztna probe --interval` and `--timeout`: a decimal number and a unit — `ns`, `us`,
/// `ms`, `s`, `m` (`10ms`, `1.5s`, `250us`) — or a bare `0`. Any other bare number is refused: `--interval 10`
/// could mean seconds or milliseconds, and guessing wrong makes a probe 1 000 times slower or faster.
///
/// Parsed exactly in integer nanoseconds (no floating point); at most 9 fractional digits matter, and values
/// are bounded by `maximum` so that arithmetic on them cannot overflow.
public enum ProbeDuration {
    /// The largest accepted duration: one day. A probe interval or timeout beyond that is a typo.
    public static let maximum: Duration = .seconds(86_400)

    /// Nanoseconds per unit, longest suffix first so that `ms` is not read as `m` + garbage.
    private static let units: [(suffix: String, nanoseconds: Int64)] = [
        ("ns", 1), ("us", 1_000), ("ms", 1_000_000), ("s", 1_000_000_000), ("m", 60_000_000_000),
    ]

    /// Parses `text`, or says what is wrong with it (a message fit for `--flag TEXT: message`).
    public static func parse(_ text: String) -> Result<Duration, TunnelProbeError> {
        let trimmed = text.trimmingSpaces()
        if trimmed == "0" { return .success(.zero) }
        guard let unit = units.first(where: { trimmed.hasSuffix($0.suffix) }) else {
            return .failure(invalid(text, "needs a unit: ns, us, ms, s or m (e.g. 10ms, 1s) or 0"))
        }
        let number = trimmed.dropLast(unit.suffix.count)
        guard let nanoseconds = scaled(number, by: unit.nanoseconds) else {
            return .failure(invalid(text, "expected a number and a unit, e.g. 10ms, 1.5s, 0"))
        }
        guard nanoseconds <= maximumNanoseconds else {
            return .failure(invalid(text, "longer than one day"))
        }
        return .success(.nanoseconds(nanoseconds))
    }

    /// `duration` written back in the shortest unit that is exact (`100ms`, `5s`, `0`): for `--help` defaults
    /// and reports.
    public static func format(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let total = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        if total == 0 { return "0" }
        for unit in units.reversed() where total % unit.nanoseconds == 0 {
            return "\(total / unit.nanoseconds)\(unit.suffix)"
        }
        return "\(total)ns"
    }

    // MARK: - Helpers

    private static let maximumNanoseconds: Int64 = 86_400 * 1_000_000_000

    private static func invalid(_ text: String, _ reason: String) -> TunnelProbeError {
        TunnelProbeError(.invalidOption, "\"\(text)\" is not a duration: \(reason)")
    }

    /// `digits[.digits]` × `unit` in nanoseconds; nil when malformed or beyond `maximumNanoseconds`.
    /// Digits are accumulated with overflow checks: the input is user text of any length.
    private static func scaled(_ number: Substring, by unit: Int64) -> Int64? {
        let parts = number.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let integerPart = parts.first, !integerPart.isEmpty || parts.count == 2 else { return nil }
        let fractionPart = parts.count == 2 ? parts[1] : ""
        guard !(integerPart.isEmpty && fractionPart.isEmpty) else { return nil }
        guard integerPart.utf8.allSatisfy(isDigit), fractionPart.utf8.allSatisfy(isDigit) else { return nil }
        var whole: Int64 = 0
        for byte in integerPart.utf8 {
            let (shifted, overflow1) = whole.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2, next <= maximumNanoseconds else { return nil }
            whole = next
        }
        let (wholeNanoseconds, overflow) = whole.multipliedReportingOverflow(by: unit)
        guard !overflow else { return nil }
        // The fraction: digit k (1-based) is worth unit / 10^k; digits below a nanosecond are dropped.
        var fraction: Int64 = 0
        var place = unit
        for byte in fractionPart.utf8 {
            place /= 10
            guard place > 0 else { break }
            fraction += Int64(byte - UInt8(ascii: "0")) * place
        }
        let (total, overflowTotal) = wholeNanoseconds.addingReportingOverflow(fraction)
        return overflowTotal ? nil : total
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}

extension String {
    /// Without leading and trailing spaces and tabs (no Foundation needed).
    fileprivate func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
