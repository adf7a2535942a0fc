// RFC 9000 §5.1: an aioquic client that moves to new connection IDs mid-exchange (`change_connection_id()`, which
// retires the ID in use) keeps working with `ztna quic server`: the server routes every ID it issued, stops
// routing retired ones and replaces each with a fresh one.

import Foundation
import Testing

// Skipped (and reported as skipped) when the ztna binary or the aioquic venv is missing, unless
// ZTNA_REQUIRE_INTEROP=1 (scripts/test, CI): then the test runs and fails, naming what is missing.
@Suite(
    "ztna ↔ aioquic interop: connection ID changes",
    .enabled(if: InteropEnvironment.current.canRunCrossTests,
             "needs the ztna binary with `quic` commands and a python with aioquic (see InteropEnvironment)")
)
struct ConnectionIDInteropTests {
    /// The fields of the aioquic client's report that only `--change-cid` runs need.
    private struct ConnectionIDReport: Decodable {
        let cidChanges: Int?
        let spareConnectionIDs: Int?

        static func parse(stdout: String) -> ConnectionIDReport? {
            let lines = stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let line = lines.last(where: { $0.hasPrefix("{") }) else { return nil }
            return try? JSONDecoder().decode(ConnectionIDReport.self, from: Data(line.utf8))
        }
    }

    @Test("aioquic changes its connection ID after the handshake and half-way; the echo verifies",
          arguments: [Pairing(server: .ztna, client: .aioquic)])
    func clientChangesConnectionID(_ pairing: Pairing) async throws {
        let outcome = try await InteropRun.run(
            pairing, client: .init(datagrams: 20, streamBytes: 1_048_576, changeConnectionID: true))
        let report = try outcome.verifiedReport()
        #expect(report.streamBytesEchoed == 1_048_576, "\(outcome)")
        #expect(report.datagramsEchoed == 20, "\(outcome)")
        let ids = try #require(ConnectionIDReport.parse(stdout: outcome.exit.stdout), "\(outcome)")
        // Both changes moved to a new Destination Connection ID…
        #expect(ids.cidChanges == 2, "\(outcome)")
        // …and the server answered each RETIRE_CONNECTION_ID with a replacement: our active_connection_id_limit
        // (4) bounds what we issue, so the client again holds 3 unused IDs besides the one in use.
        #expect(ids.spareConnectionIDs == 3, "\(outcome)")
    }
}
