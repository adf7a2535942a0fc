import Foundation
import Testing
import ZTNAProtocol
@testable import ZTNAIdentity

/// `ztna certs` end to end, through the built binary: `certsdev` in the development package, `ztna` in
/// the main package (both take `certs …`). ZTNA_BINARY overrides the location.
@Suite struct CertsCommandTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func binary() throws -> URL {
        if let explicit = ProcessInfo.processInfo.environment["ZTNA_BINARY"] { return URL(fileURLWithPath: explicit) }
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for name in ["certsdev", "ztna"] {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: directory.path + "/{certsdev,ztna}"])
    }

    func certs(_ arguments: String...) throws -> Run {
        let process = Process()
        process.executableURL = try Self.binary()
        process.arguments = ["certs"] + arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func initIssueShowRoundTrip() throws {
        let dir = try TestPKI.temporaryDirectory()
        let initRun = try certs("init", "--dir", dir, "--name", "acme CA")
        #expect(initRun.status == 0, "\(initRun.stderr)")
        #expect(initRun.stdout.contains("\(dir)/ca.crt"))

        let issue = try certs("issue", "agent", "--name", "alice", "--services", "web,echo", "--dir", dir,
                              "--validity-days", "30")
        #expect(issue.status == 0, "\(issue.stderr)")

        let peer = try PeerIdentity.load(path: "\(dir)/alice.crt")
        #expect(peer.name == "alice")
        #expect(peer.grants.agent == .services([ServiceID("web")!, ServiceID("echo")!]))
        #expect(peer.grants.connector == .none)
        #expect(peer.purposes == [.clientAuth, .serverAuth])
        #expect(abs(peer.notAfter.timeIntervalSince(peer.notBefore) - (30 * 86_400 + 300)) < 1)
        try KeyFilePolicy.check(path: "\(dir)/alice.key")

        let show = try certs("show", "\(dir)/alice.crt")
        #expect(show.status == 0)
        #expect(show.stdout.contains("subject:    CN=alice"))
        #expect(show.stdout.contains("issuer:     CN=acme CA"))
        #expect(show.stdout.contains("SANs:       DNS:agent.echo.ztna, DNS:agent.web.ztna"))
        #expect(show.stdout.contains("grants:     connector: none; agent: echo, web"))
        #expect(show.stdout.contains("key usage:  clientAuth, serverAuth"))
        #expect(show.stdout.contains("valid for 29 days") || show.stdout.contains("valid for 30 days"))
        #expect(show.stdout.contains("serial:     \(peer.serial)"))
        #expect(show.stdout.contains("SHA-256:    \(peer.fingerprint)"))
    }

    @Test func issuedChainVerifiesAgainstTheWrittenCA() async throws {
        let dir = try TestPKI.temporaryDirectory()
        #expect(try certs("init", "--dir", dir).status == 0)
        #expect(try certs("issue", "relay", "--name", "relay.example.com", "--name", "127.0.0.1", "--dir", dir).status == 0)
        #expect(try certs("issue", "connector", "--name", "office-1", "--services", "*", "--dir", dir).status == 0)
        let roots = try TrustRoots.load(path: "\(dir)/ca.crt")
        let relay = try PeerIdentity.load(path: "\(dir)/relay.example.com.crt")
        #expect(relay.ipAddresses == ["127.0.0.1"])
        let verified = try await PeerIdentity.verify(
            chain: [TestPKI.der(relay.certificate)], trustRoots: roots, now: Date(), requiring: .serverAuth)
        #expect(verified.roles == [.relay])
        let connector = try PeerIdentity.load(path: "\(dir)/office-1.crt")
        #expect(connector.grants.connector == .all)
        _ = try await PeerIdentity.verify(chain: [TestPKI.der(connector.certificate)], trustRoots: roots, now: Date())
    }

    @Test func failuresExitNonZeroWithOneLine() throws {
        let dir = try TestPKI.temporaryDirectory()
        #expect(try certs("init", "--dir", dir).status == 0)
        let cases: [[String]] = [
            ["init", "--dir", dir],                                                       // exists
            ["issue", "agent", "--name", "a", "--services", "Web", "--dir", dir],         // invalid id
            ["issue", "agent", "--name", "a", "--dir", dir],                              // no services
            ["issue", "agent", "--name", "a", "--name", "b", "--services", "web", "--dir", dir],
            ["issue", "relay", "--name", "r.example", "--services", "web", "--dir", dir],
            ["issue", "relay", "--name", "bad name", "--dir", dir],
            ["issue", "relay", "--name", "r.example", "--dir", dir + "/nowhere"],         // no CA
            ["issue", "agent", "--name", "a", "--services", "web,*", "--dir", dir],
            ["show", dir + "/missing.crt"],
            ["show", dir + "/ca.key"],
        ]
        for arguments in cases {
            let process = Process()
            process.executableURL = try Self.binary()
            process.arguments = ["certs"] + arguments
            let err = Pipe()
            process.standardError = err
            process.standardOutput = Pipe()
            try process.run()
            let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus != 0, "\(arguments)")
            let lines = stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(arguments): \(stderr)")
            #expect(lines.first?.hasPrefix("Error: ") == true, "\(arguments): \(stderr)")
        }
        let invalid = try certs("issue", "agent", "--name", "a", "--services", "Web", "--dir", dir)
        #expect(invalid.stderr.contains("invalid service id \"Web\""))
    }

    @Test func forceOverwrites() throws {
        let dir = try TestPKI.temporaryDirectory()
        #expect(try certs("init", "--dir", dir).status == 0)
        let before = try PeerIdentity.load(path: "\(dir)/ca.crt").fingerprint
        #expect(try certs("init", "--dir", dir, "--force").status == 0)
        #expect(try PeerIdentity.load(path: "\(dir)/ca.crt").fingerprint != before)
    }
}
