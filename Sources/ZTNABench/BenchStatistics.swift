#if canImport(Glibc)
import Glibc
#endif

/// Small measurement helpers shared by the benchmarks.
public enum BenchStatistics {
    /// The value at `fraction` (0…1) of the sorted samples (nearest rank).
    public static func percentile(_ samples: [Double], _ fraction: Double) -> Double {
        guard !samples.isEmpty else { return .nan }
        let sorted = samples.sorted()
        let rank = Int((fraction * Double(sorted.count - 1)).rounded())
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    /// CPU seconds (user + system) this process used so far.
    public static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// CPU seconds (user + system) of the calling thread; nil where the system cannot tell (not Linux).
    public static func threadCPUSeconds() -> Double? {
        #if os(Linux)
        var usage = rusage()
        getrusage(1, &usage)   // RUSAGE_THREAD (Linux), which Glibc does not import
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1_000_000 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
        #else
        return nil
        #endif
    }
}

/// Wall-clock and CPU time of one measured phase.
public struct BenchClock {
    let startWall: ContinuousClock.Instant
    let startCPU: Double

    public init() {
        startWall = .now
        startCPU = BenchStatistics.processCPUSeconds()
    }

    public var elapsedSeconds: Double {
        let duration = ContinuousClock.now - startWall
        return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    public var cpuSeconds: Double { BenchStatistics.processCPUSeconds() - startCPU }
}
