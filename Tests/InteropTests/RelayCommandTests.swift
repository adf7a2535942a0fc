// `ztna relay` as an operator runs it (issue 4): refuses bad configuration with an error naming the file and
// key, refuses world-readable keys, reloads on SIGHUP, stops within 3 s on SIGTERM.

import Foundation
import Glibc
import Testing

@Suite(
    "ztna relay command line",
    .enabled(if: InteropEnvironment.current.canRunZtnaTests, "needs the ztna binary (see InteropEnvironment)"),
    .timeLimit(.minutes(2))
)
struct RelayCommandTests {
    @Test func unknownConfigurationKeyIsRefusedNamingFileAndKey() async throws {
        let directory = try await RelayDaemon.makeDeployment()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = "\(directory)/relay.json"
        try #"{ "listen": "127.0.0.1:4433", "identity": { "certificate": "x", "privatKey": "y" } }"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        let exit = try await RelayDaemon.ztna(["relay", "--config", config])
        #expect(exit.status != 0)
        #expect(exit.stderr.contains(config), "\(exit.stderr)")
        #expect(exit.stderr.contains("identity.privatKey"), "\(exit.stderr)")
    }

    @Test func missingIdentityIsNamed() async throws {
        let directory = try await RelayDaemon.makeDeployment()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = "\(directory)/relay.json"
        try #"{ "listen": "127.0.0.1:4433" }"#.write(toFile: config, atomically: true, encoding: .utf8)
        let exit = try await RelayDaemon.ztna(["relay", "--config", config])
        #expect(exit.status != 0)
        #expect(exit.stderr.contains("identity.certificate"), "\(exit.stderr)")
    }

    @Test func worldReadableKeyIsRefused() async throws {
        let directory = try await RelayDaemon.makeDeployment()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let key = "\(directory)/localhost.key"
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: key)
        let exit = try await RelayDaemon.ztna([
            "relay", "--listen", "127.0.0.1:0", "--admin", "off", "--cert", "\(directory)/localhost.crt",
            "--key", key, "--ca", "\(directory)/ca.crt",
        ])
        #expect(exit.status != 0)
        #expect(exit.stderr.contains(key) && exit.stderr.contains("chmod 600"), "\(exit.stderr)")
    }

    @Test func sighupReloadsAndSigtermStopsWithinThreeSeconds() async throws {
        let directory = try await RelayDaemon.makeDeployment()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let revoked = "\(directory)/revoked.txt"
        try "".write(toFile: revoked, atomically: true, encoding: .utf8)
        let config = "\(directory)/relay.json"
        try #"{ "revocationList": "\#(revoked)", "retry": "always" }"#.write(toFile: config, atomically: true, encoding: .utf8)
        let relay = try await RelayDaemon.start(in: directory, extra: ["--config", config])

        try "0a:1b:2c\n".write(toFile: revoked, atomically: true, encoding: .utf8)
        relay.process.send(signal: SIGHUP)
        try await relay.waitForLog("relay reloaded credentials")
        #expect(relay.process.stderrSoFar.contains("revoked.serials=1"))

        // A broken list: the reload fails, the relay keeps running with the previous one.
        try "not a serial\n".write(toFile: revoked, atomically: true, encoding: .utf8)
        relay.process.send(signal: SIGHUP)
        try await relay.waitForLog("reload failed")

        let stopping = ContinuousClock.now
        let exit = await relay.process.stop()
        #expect(exit.succeeded, "\(exit.stderr)")
        #expect(ContinuousClock.now - stopping < .seconds(4), "SIGTERM → exit must take at most the 3 s drain")
        #expect(exit.stderr.contains("relay stopped"))
    }

    @Test func statusPrintsTheRelaysConnectionsTable() async throws {
        let directory = try await RelayDaemon.makeDeployment()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let relay = try await RelayDaemon.start(in: directory, extra: ["--admin", "127.0.0.1:0"])
        let line = try #require(await relay.process.firstLine(startingWith: "admin on http://"))
        let admin = String(line.dropFirst("admin on http://".count).dropLast())   // drop the trailing "/"
        let status = try await RelayDaemon.ztna(["status", admin])
        _ = await relay.process.stop()
        #expect(status.succeeded, "\(status.stderr)")
        #expect(status.stdout.hasPrefix("relay at \(admin)"), "\(status.stdout)")
        #expect(status.stdout.contains("id  name  roles  address"), "\(status.stdout)")
        let none = try await RelayDaemon.ztna(["status", "127.0.0.1:9"])
        #expect(!none.succeeded && none.stderr.contains("no daemon answers on 127.0.0.1:9"))
    }
}
