// Which implementation plays the server and which the client in an interop run.

import Testing

/// A QUIC implementation the interop tests drive as a separate process.
enum Implementation: String, Sendable {
    /// Our engine: the `ztna quic server|client` commands.
    case ztna
    /// The foreign peer: scripts/interop/aioquic_peer.py.
    case aioquic
}

/// One server and one client.
struct Pairing: Sendable, CustomTestStringConvertible {
    let server: Implementation
    let client: Implementation

    /// Both directions of DESIGN.md §2's interop requirement: our server with aioquic's client, and the reverse.
    static let crossImplementation = [
        Pairing(server: .ztna, client: .aioquic),
        Pairing(server: .aioquic, client: .ztna),
    ]

    /// aioquic against itself: proves the peer and the harness before they judge our engine.
    static let aioquicOnly = Pairing(server: .aioquic, client: .aioquic)

    var testDescription: String { "\(server.rawValue) server ← \(client.rawValue) client" }
}
