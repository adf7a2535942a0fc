#if canImport(Glibc)
import Glibc
#endif

/// CPU time and resident memory of one process, read from Linux `/proc` — how the relay benchmark measures
/// the relay child alone (proc(5): `/proc/PID/stat` fields 14–15 `utime`/`stime` in clock ticks, all threads
/// included; `/proc/PID/status` `VmRSS` in kB).
public struct RelayBenchProcessSample: Sendable, Hashable {
    /// User plus system CPU seconds since the process started.
    public var cpuSeconds: Double
    /// Resident set size in KiB.
    public var residentKiB: Int

    public init(cpuSeconds: Double, residentKiB: Int) {
        self.cpuSeconds = cpuSeconds
        self.residentKiB = residentKiB
    }

    /// Reads both figures of `pid`; nil when the process is gone or `/proc` is not Linux's.
    public static func read(pid: Int32) -> RelayBenchProcessSample? {
        guard let stat = readFile("/proc/\(pid)/stat"), let status = readFile("/proc/\(pid)/status"),
              let ticks = cpuTicks(stat: stat), let rss = residentKiB(status: status) else { return nil }
        return RelayBenchProcessSample(cpuSeconds: Double(ticks) / Double(clockTicksPerSecond), residentKiB: rss)
    }

    /// CPU seconds all processes of the machine spent busy (not idle, not waiting for I/O) since boot, summed
    /// over cores: how much else ran during a measurement (`/proc/stat`, first line).
    public static func machineBusySeconds() -> Double? {
        guard let stat = readFile("/proc/stat"), let ticks = busyTicks(procStat: stat) else { return nil }
        return Double(ticks) / Double(clockTicksPerSecond)
    }

    // MARK: - Parsing (total: any text yields a value or nil)

    /// user + nice + system + irq + softirq + steal ticks from the `cpu` line of `/proc/stat` (fields 1–3 and
    /// 6–8; 4 is idle, 5 iowait; guest time is already inside user and nice).
    public static func busyTicks(procStat: String) -> UInt64? {
        guard let line = procStat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let fields = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().compactMap { UInt64($0) }
        guard fields.count >= 8 else { return nil }
        var total: UInt64 = 0
        for index in [0, 1, 2, 5, 6, 7] {
            let (sum, overflow) = total.addingReportingOverflow(fields[index])
            guard !overflow else { return nil }
            total = sum
        }
        return total
    }

    /// `utime + stime` in clock ticks from the text of `/proc/PID/stat`. The command name (field 2) is in
    /// parentheses and may itself contain spaces and parentheses, so fields are counted after the *last* `)`.
    public static func cpuTicks(stat: String) -> UInt64? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        // After ")": field 3 (state) is the first; utime is field 14, stime field 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12]) else { return nil }
        let (sum, overflow) = user.addingReportingOverflow(system)
        return overflow ? nil : sum
    }

    /// `VmRSS` in kB from the text of `/proc/PID/status` (`VmRSS:\t  12345 kB`).
    public static func residentKiB(status: String) -> Int? {
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let parts = line.dropFirst("VmRSS:".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let first = parts.first else { return nil }
            return Int(first)
        }
        return nil
    }

    // MARK: - Helpers

    /// `sysconf(_SC_CLK_TCK)`: the unit of `utime`/`stime` (100 on Linux).
    static let clockTicksPerSecond: Int = {
        let ticks = sysconf(Int32(_SC_CLK_TCK))
        return ticks > 0 ? ticks : 100
    }()

    /// The whole file; `/proc` files report size 0, so this reads until end of file.
    static func readFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            // /proc/PID/status is a few kB; stop at a sane bound rather than trust the file.
            if bytes.count > 1 << 20 { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
