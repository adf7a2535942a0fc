import ArgumentParser

/// `ztna quic`: the QUIC engine on its own, for interop harnesses.
struct QUICCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quic",
        abstract: "QUIC test server and client (interoperability and smoke tests).",
        subcommands: [QUICServerCommand.self, QUICClientCommand.self]
    )
}
