// The lab itself (DESIGN.md §11.4): the topology is what the tests assume, and clean-up leaves nothing —
// neither after `shutdown()` nor after a run that was killed before it could clean up.

import Foundation
import Glibc
import Testing

extension NamespaceLabSuites {
    @Suite(
        "lab topology and clean-up",
        .enabled(if: LabEnvironment.current.canRun(.portForward), LabEnvironment.current.skipComment(.portForward)),
        .timeLimit(.minutes(2))
    )
    struct NamespaceLabTopologyTests {
        @Test func nodesReachEachOtherOnTheWanAndOwnNothingElse() async throws {
            try await NamespaceLab.withLab(needing: .portForward) { lab in
                let ping = LabClients(lab: lab, node: .agent)
                for node in [NamespaceLab.Node.relay, .connector] {
                    let probe = try await ping.ping(node.address, count: 2)
                    #expect(probe.passed, "\(probe.failure)")
                }
                let links = try lab.ip(["-o", "link", "show"], in: lab.namespace(.agent))
                    .split(separator: "\n").compactMap { $0.split(separator: ":").dropFirst().first }
                    .map { $0.trimmingCharacters(in: .whitespaces).split(separator: "@").first.map(String.init) ?? "" }
                #expect(links.sorted() == ["eth0", "lo"])
                let addresses = try lab.ip(["-o", "-4", "addr", "show"], in: lab.namespace(.agent))
                #expect(addresses.contains("inet 10.250.0.3/24"), "\(addresses)")
                #expect(addresses.contains("inet 127.0.0.1/8"), "\(addresses)")
            }
        }

        @Test func shutdownRemovesNamespacesProcessesAndFiles() async throws {
            let lab = try NamespaceLab.create(needing: .portForward)
            let tracked = try lab.start("sleeper", try LabEnvironment.current.tool("python3"),
                                        ["-c", "import time; time.sleep(300)"], in: .connector)
            // Started behind the lab's back: only the namespace sweep can find it.
            let stray = try Self.spawnSleeper(in: lab.namespace(.relay))
            #expect(try Self.namespaceList().filter { $0.contains(lab.tag) }.count == 4)
            await lab.shutdown()
            #expect(try Self.namespaceList().filter { $0.contains(lab.tag) }.isEmpty)
            // shutdown() SIGTERMed the tracked one and waited for it; the sweep SIGKILLed the stray one.
            #expect(try await Self.ended { tracked.hasExited })
            #expect(tracked.exitIfEnded?.signalled == true && tracked.exitIfEnded?.status == SIGTERM)
            #expect(try await Self.ended { !stray.isRunning })
            #expect(stray.terminationReason == .uncaughtSignal && stray.terminationStatus == SIGKILL)
            #expect(!FileManager.default.fileExists(atPath: lab.directory))
        }

        @Test func staleNamespacesOfAKilledRunGoAndLiveLabsStay() async throws {
            let ip = try LabEnvironment.current.tool("ip")
            // What a killed run leaves: its namespaces, a process inside, and no one holding its lock.
            let deadTag = "d" + String(UInt32.random(in: 0..<(1 << 20)), radix: 16)
            let stale = ["\(NamespaceLab.prefix)\(deadTag)-r", "\(NamespaceLab.prefix)\(deadTag)-w"]
            for name in stale { try LabCommand.check(ip, ["netns", "add", name]) }
            let orphan = try Self.spawnSleeper(in: stale[0])
            let staleDirectory = NSTemporaryDirectory() + NamespaceLab.prefix + deadTag
            try FileManager.default.createDirectory(atPath: staleDirectory + "/pki", withIntermediateDirectories: true)
            try await NamespaceLab.withLab(needing: .portForward) { live in
                try await NamespaceLab.withLab(needing: .portForward) { second in
                    let names = try Self.namespaceList()
                    #expect(!names.contains(where: { stale.contains($0) }), "\(names)")
                    #expect(!FileManager.default.fileExists(atPath: staleDirectory))
                    #expect(Set(live.namespaces).isSubset(of: Set(names)), "a live lab's namespaces were removed")
                    #expect(Set(second.namespaces).isSubset(of: Set(names)))
                }
            }
            #expect(try await Self.ended { !orphan.isRunning })
            #expect(orphan.terminationReason == .uncaughtSignal && orphan.terminationStatus == SIGKILL)
            for name in stale { _ = LabCommand.run(ip, ["netns", "del", name]) }   // only if the test failed
            try? FileManager.default.removeItem(atPath: staleDirectory)
        }

        @Test(.enabled(if: LabEnvironment.current.canRun(.tunDevice), LabEnvironment.current.skipComment(.tunDevice)))
        func leftoverCheckSeesATunDeviceAndItsRoutes() async throws {
            try await NamespaceLab.withLab(needing: .tunDevice) { lab in
                let agent = lab.namespace(.agent)
                #expect(try TunnelLeftovers.find(namespace: agent).isEmpty)
                try lab.ip(["tuntap", "add", "dev", TunnelLeftovers.device, "mode", "tun"], in: agent)
                try lab.ip(["addr", "add", "\(LabDeployment.tunAddress)/32", "dev", TunnelLeftovers.device], in: agent)
                try lab.ip(["link", "set", TunnelLeftovers.device, "up"], in: agent)
                try lab.ip(["route", "add", "\(LabDeployment.web.virtualIP)/32", "dev", TunnelLeftovers.device], in: agent)
                let found = try TunnelLeftovers.find(namespace: agent)
                #expect(found.contains { $0.hasPrefix("link \(TunnelLeftovers.device):") }, "\(found)")
                #expect(found.contains { $0.hasPrefix("route \(LabDeployment.web.virtualIP) dev") }, "\(found)")
                #expect(found.contains { $0.hasPrefix("route local \(LabDeployment.tunAddress)") }, "\(found)")
                try lab.ip(["link", "del", TunnelLeftovers.device], in: agent)
                try assertNoTunnelLeftovers(namespace: agent)
            }
        }

        // MARK: - Helpers

        /// Polls `condition` for at most 5 s: the exit of a killed process is observed asynchronously.
        private static func ended(_ condition: () -> Bool) async throws -> Bool {
            for _ in 0..<100 {
                if condition() { return true }
                try await Task.sleep(for: .milliseconds(50))
            }
            return condition()
        }

        private static func namespaceList() throws -> [String] {
            try LabCommand.check(try LabEnvironment.current.tool("ip"), ["netns", "list"]).split(separator: "\n")
                .compactMap { $0.split(separator: " ").first.map(String.init) }
        }

        /// `ip netns exec NAME python3 -c sleep` as a plain `Process`, not tracked by any lab.
        private static func spawnSleeper(in namespace: String) throws -> Process {
            let process = Process()
            process.executableURL = try LabEnvironment.current.tool("ip")
            process.arguments = ["netns", "exec", namespace, try LabEnvironment.current.tool("python3").path,
                                 "-c", "import time; time.sleep(300)"]
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
    }
}
