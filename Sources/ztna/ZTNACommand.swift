import ArgumentParser

/// `ztna`: the root command. Roles (relay, connector, agent) and tools arrive as they are built.
struct ZTNACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ztna",
        abstract: "Zero-trust network access: private applications reachable end-to-end over QUIC.",
        discussion: "Available now: 'ztna demo', 'ztna relay', 'ztna connector', 'ztna agent' (TUN and port-forward modes), 'ztna probe' (tunnel test client), 'ztna status', 'ztna certs' (deployment CA and certificates), 'ztna quic' (QUIC test server and client for interoperability checks), 'ztna echo' (UDP/TCP echo backend) and 'ztna bench quic|relay'.",
        subcommands: [DemoCommand.self, RelayCommand.self, ConnectorCommand.self, AgentCommand.self, ProbeCommand.self, StatusCommand.self, CertsCommand.self, QUICCommand.self, EchoCommand.self, BenchCommand.self]
    )
}

extension ZTNACommand {
    /// Parses the command line and runs the chosen command asynchronously. Top-level code in main.swift
    /// resolves `main()` to `ParsableCommand`'s synchronous overload, which refuses an async root; inside an
    /// async function the `AsyncParsableCommand` overload is chosen.
    static func start() async {
        await main()
    }
}
