import NATTraversal
import NIOCore
import Testing

// MARK: - Virtual time and addresses

/// The start of every scenario: an arbitrary, fixed point of virtual time.
let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

func at(ms: Int64) -> NIODeadline { t0 + .milliseconds(ms) }

func address(_ ip: String, _ port: Int) throws -> SocketAddress {
    try SocketAddress(ipAddress: ip, port: port)
}

/// Milliseconds since `t0`, for readable expectations.
func offset(_ deadline: NIODeadline) -> Int64 {
    (deadline - t0).nanoseconds / 1_000_000
}

// MARK: - Draining

extension ClientTraversal {
    mutating func drain() -> [ClientTraversalAction] {
        var all: [ClientTraversalAction] = []
        while let action = pollAction() { all.append(action) }
        return all
    }

    /// Fires every deadline up to and including `end` and records each action with its time. Fails the
    /// test if a deadline does not move forward after it fired (a busy loop).
    mutating func run(until end: NIODeadline) -> [(ms: Int64, action: ClientTraversalAction)] {
        var log: [(ms: Int64, action: ClientTraversalAction)] = []
        var steps = 0
        while let deadline = nextDeadline, deadline <= end, steps < 100_000 {
            steps += 1
            handleTimeout(now: deadline)
            for action in drain() { log.append((offset(deadline), action)) }
            if let next = nextDeadline, next <= deadline {
                Issue.record("deadline did not advance past \(offset(deadline)) ms")
                break
            }
        }
        return log
    }
}

extension ServerTraversal {
    mutating func drain() -> [ServerTraversalAction] {
        var all: [ServerTraversalAction] = []
        while let action = pollAction() { all.append(action) }
        return all
    }

    mutating func run(until end: NIODeadline) -> [(ms: Int64, action: ServerTraversalAction)] {
        var log: [(ms: Int64, action: ServerTraversalAction)] = []
        var steps = 0
        while let deadline = nextDeadline, deadline <= end, steps < 100_000 {
            steps += 1
            handleTimeout(now: deadline)
            for action in drain() { log.append((offset(deadline), action)) }
            if let next = nextDeadline, next <= deadline {
                Issue.record("deadline did not advance past \(offset(deadline)) ms")
                break
            }
        }
        return log
    }
}

// MARK: - A typical agent

/// An agent with a private host address and the mapping a relay observed, and `remotes` advertised by the
/// connector as sequences 0, 1, …
struct AgentFixture {
    var traversal: ClientTraversal
    let host: SocketAddress
    let reflexive: SocketAddress
    let remotes: [SocketAddress]

    init(configuration: TraversalConfiguration = .init(), concurrencyLimit: Int = 4, remoteCount: Int = 2,
         locals: [Candidate]? = nil) throws {
        host = try address("10.0.0.2", 4000)
        reflexive = try address("198.51.100.2", 4000)
        remotes = try (0..<remoteCount).map { try address("203.0.113.\($0 + 1)", 5000) }
        traversal = ClientTraversal(configuration: configuration, enabled: true, now: t0)
        traversal.peerSupport(concurrencyLimit: concurrencyLimit, now: t0)
        traversal.setLocalCandidates(locals ?? [Candidate(address: host, kind: .host),
                                                Candidate(address: reflexive, kind: .serverReflexive)], now: t0)
        for (sequence, remote) in remotes.enumerated() {
            traversal.remoteCandidateAdded(sequence: UInt64(sequence), address: remote, now: t0)
        }
    }
}
