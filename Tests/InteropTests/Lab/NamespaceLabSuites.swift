// The network-namespace lab suites (DESIGN.md §11.4) run one at a time: each starts a relay, a connector, an
// agent and backends, and on a 2-core machine two labs at once starve each other's handshakes.

import Testing

/// The parent of every `NamespaceLab…` suite (`swift test --filter NamespaceLab`).
@Suite("network-namespace lab", .serialized)
enum NamespaceLabSuites {}
