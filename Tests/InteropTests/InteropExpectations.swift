// Assertions shared by the interop suites: what "the exchange verified" and "the client was refused" mean.

import Testing

extension InteropRun.Outcome {
    /// The client exited 0 and reported `ok`; returns its report. Fails the test (with both processes'
    /// output) otherwise.
    func verifiedReport(sourceLocation: SourceLocation = #_sourceLocation) throws -> ClientReport {
        let report = try #require(report, "the client printed no JSON report\n\(transcript)",
                                  sourceLocation: sourceLocation)
        try #require(report.ok && exit.succeeded,
                     "the client did not verify the exchange\n\(transcript)", sourceLocation: sourceLocation)
        return report
    }

    /// The client failed on its own (non-zero exit, not killed by the watchdog) and did not claim success.
    func expectRefused(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!exit.succeeded, "the client succeeded but must have been refused\n\(transcript)",
                sourceLocation: sourceLocation)
        #expect(!exit.timedOut, "the client hung until its watchdog instead of failing\n\(transcript)",
                sourceLocation: sourceLocation)
        #expect(report?.ok != true, "the client reported ok\n\(transcript)", sourceLocation: sourceLocation)
    }
}
