import Logging

// MARK: - LogFormat

/// How ``ZTNALogHandler`` renders an event: always one line per event.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `2026-11-25T05:00:00.123Z info relay: message key=value key="a value"` (keys sorted).
    case text
    /// One JSON object per line: `{"label":"relay","level":"info","metadata":{…},"msg":"…","ts":"…"}`.
    case json
}

// MARK: - WallTime

/// A UTC wall-clock instant with millisecond resolution, as written in log lines.
struct WallTime: Sendable, Equatable {
    /// Seconds since 1970-01-01T00:00:00Z.
    var seconds: Int64
    /// 0…999.
    var milliseconds: Int64
}

// MARK: - LogLineFormatter

/// Renders log events into single lines. Pure: the time is passed in, so tests pin the output exactly.
enum LogLineFormatter {
    /// One line, terminated by `\n`.
    static func line(
        format: LogFormat,
        time: WallTime,
        level: Logger.Level,
        label: String,
        message: String,
        metadata: Logger.Metadata
    ) -> String {
        switch format {
        case .text:
            return self.textLine(time: time, level: level, label: label, message: message, metadata: metadata)
        case .json:
            return self.jsonLine(time: time, level: level, label: label, message: message, metadata: metadata)
        }
    }

    // MARK: - Text

    private static func textLine(
        time: WallTime, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata
    ) -> String {
        var out = self.timestamp(time)
        out += " "
        out += level.rawValue
        out += " "
        out += label
        out += ": "
        // A message never breaks the one-line-per-event rule.
        self.appendEscaped(message, to: &out)
        for key in metadata.keys.sorted() {
            guard let value = metadata[key] else { continue }
            out += " "
            out += key
            out += "="
            self.appendValue(value.description, to: &out)
        }
        out += "\n"
        return out
    }

    /// Values are written bare unless they would be ambiguous to a `key=value` splitter: empty, or containing
    /// a space, a quote, `=`, a backslash or a control character; those are quoted and escaped.
    static func appendValue(_ value: String, to out: inout String) {
        let needsQuotes = value.isEmpty || value.utf8.contains { byte in
            byte <= 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "=") || byte == UInt8(ascii: "\\")
                || byte == 0x7F
        }
        guard needsQuotes else {
            out += value
            return
        }
        out += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default: self.appendScalarEscapingControls(scalar, to: &out)
            }
        }
        out += "\""
    }

    private static func appendEscaped(_ text: String, to out: inout String) {
        for scalar in text.unicodeScalars {
            self.appendScalarEscapingControls(scalar, to: &out)
        }
    }

    private static func appendScalarEscapingControls(_ scalar: Unicode.Scalar, to out: inout String) {
        switch scalar {
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }

    // MARK: - JSON

    private static func jsonLine(
        time: WallTime, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata
    ) -> String {
        // Keys in sorted order, like the text format, so lines diff cleanly.
        var out = "{\"label\":"
        self.appendJSONString(label, to: &out)
        out += ",\"level\":"
        self.appendJSONString(level.rawValue, to: &out)
        if !metadata.isEmpty {
            out += ",\"metadata\":"
            self.appendJSON(.dictionary(metadata), to: &out)
        }
        out += ",\"msg\":"
        self.appendJSONString(message, to: &out)
        out += ",\"ts\":"
        self.appendJSONString(self.timestamp(time), to: &out)
        out += "}\n"
        return out
    }

    private static func appendJSON(_ value: Logger.MetadataValue, to out: inout String) {
        switch value {
        case .dictionary(let dictionary):
            out += "{"
            for (index, key) in dictionary.keys.sorted().enumerated() {
                if index > 0 { out += "," }
                self.appendJSONString(key, to: &out)
                out += ":"
                if let element = dictionary[key] { self.appendJSON(element, to: &out) }
            }
            out += "}"
        case .array(let array):
            out += "["
            for (index, element) in array.enumerated() {
                if index > 0 { out += "," }
                self.appendJSON(element, to: &out)
            }
            out += "]"
        case .string, .stringConvertible:
            self.appendJSONString(value.description, to: &out)
        @unknown default:
            self.appendJSONString(value.description, to: &out)
        }
    }

    /// RFC 8259 §7: quote, backslash and control characters must be escaped.
    static func appendJSONString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    // MARK: - Timestamp

    /// RFC 3339 UTC with milliseconds: `2026-11-25T05:00:00.123Z`.
    static func timestamp(_ time: WallTime) -> String {
        // Floor division so instants before 1970 still land on the right day.
        let secondsPerDay: Int64 = 86_400
        var days = time.seconds / secondsPerDay
        var secondOfDay = time.seconds % secondsPerDay
        if secondOfDay < 0 {
            secondOfDay += secondsPerDay
            days -= 1
        }
        let (year, month, day) = self.civilDate(daysSinceEpoch: days)
        var out = ""
        out.reserveCapacity(24)
        out += self.pad(year, 4) + "-" + self.pad(month, 2) + "-" + self.pad(day, 2)
        out += "T" + self.pad(secondOfDay / 3600, 2) + ":" + self.pad(secondOfDay % 3600 / 60, 2)
        out += ":" + self.pad(secondOfDay % 60, 2) + "." + self.pad(time.milliseconds, 3) + "Z"
        return out
    }

    /// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant, "chrono-Compatible Low-Level
    /// Date Algorithms", `civil_from_days`).
    static func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthPrime = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthPrime + 2) / 5 + 1
        let month = monthPrime < 10 ? monthPrime + 3 : monthPrime - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let digits = String(value)
        guard digits.count < width else { return digits }
        return String(repeating: "0", count: width - digits.count) + digits
    }
}
