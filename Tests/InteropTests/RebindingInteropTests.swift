// RFC 9000 §9.3: an aioquic client whose source port changes mid-exchange (a NAT rebinding: a new socket, the
// old one closed, aioquic itself not told) keeps working with `ztna quic server`: the server sees the
// connection's packets arrive from the new address, follows, validates the path and finishes the echo there.

import Foundation
import Testing

// Skipped (and reported as skipped) when the ztna binary or the aioquic venv is missing, unless
// ZTNA_REQUIRE_INTEROP=1 (scripts/test, CI): then the test runs and fails, naming what is missing.
@Suite(
    "ztna ↔ aioquic interop: NAT rebinding",
    .enabled(if: InteropEnvironment.current.canRunCrossTests,
             "needs the ztna binary with `quic` commands and a python with aioquic (see InteropEnvironment)")
)
struct RebindingInteropTests {
    private struct RebindingReport: Decodable {
        let rebinds: Int
        let localPorts: [Int]

        static func parse(stdout: String) -> RebindingReport? {
            let lines = stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let line = lines.last(where: { $0.hasPrefix("{") }) else { return nil }
            return try? JSONDecoder().decode(RebindingReport.self, from: Data(line.utf8))
        }
    }

    @Test("aioquic's source port changes half-way through a 2 MiB echo; the server follows and the echo verifies",
          arguments: [Pairing(server: .ztna, client: .aioquic)])
    func clientSourcePortChanges(_ pairing: Pairing) async throws {
        let outcome = try await InteropRun.run(pairing, client: .init(streamBytes: 2 * 1_048_576, rebind: true))
        let report = try outcome.verifiedReport()
        #expect(report.streamBytesEchoed == 2 * 1_048_576, "\(outcome)")
        let rebinding = try #require(RebindingReport.parse(stdout: outcome.exit.stdout), "\(outcome)")
        #expect(rebinding.rebinds == 1, "\(outcome)")
        // Two different source ports: the second half of the echo can only have reached the new socket.
        #expect(rebinding.localPorts.count == 2, "\(outcome)")
        #expect(Set(rebinding.localPorts).count == 2, "\(outcome)")
    }
}
