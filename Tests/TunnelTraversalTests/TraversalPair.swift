import NATTraversal
import NIOCore
import QUICCore
import TunnelTraversal
import ZTNASimulation

/// The client's handle for the relay route, and the server's handle for the same route.
let agentRelay = PathAddress.relayed(RelayRoute(1))
let connectorRelay = PathAddress.relayed(RelayRoute(2))

/// A QUICPair established on a relayed path, with an agent session on the client and a connector session on
/// the server: every connection event reaches its session, and the sessions' timers fire in virtual time.
struct TraversalPair {
    var pair: QUICPair
    var agent: AgentTraversalSession
    var connector: ConnectorTraversalSession
    private var clientEventsSeen = 0
    private var serverEventsSeen = 0
    /// For echo tests: server events scanned for DATAGRAMs, and DATAGRAMs the client received.
    private(set) var serverDatagramsEchoed = 0
    private var clientDatagramsScanned = 0

    /// - Parameters:
    ///   - agentDirect/connectorDirect: whether each side's configuration allows direct paths (the side then
    ///     offers the nat_traversal transport parameter).
    ///   - directRoutes: whether the pair's direct UDP addresses reach each other (QUICPair's default routes).
    init(seed: UInt64 = 1, latency: TimeAmount = .milliseconds(20), agentDirect: Bool = true,
         connectorDirect: Bool = true, directRoutes: Bool = true) throws {
        pair = try QUICPair(latency: latency, seed: seed,
                            configureClient: { $0.offersNATTraversal = agentDirect },
                            configureServer: { $0.offersNATTraversal = connectorDirect })
        if !directRoutes {
            pair.clientRoutes = [:]
            pair.serverRoutes = [:]
        }
        pair.clientRoutes[agentRelay] = connectorRelay
        pair.serverRoutes[connectorRelay] = agentRelay
        try pair.connect(via: agentRelay)
        let now = pair.now
        agent = AgentTraversalSession(relayedPath: agentRelay, enabled: agentDirect, now: now)
        connector = ConnectorTraversalSession(enabled: connectorDirect, now: now)
    }

    var clientUDP: SocketAddress { Self.socket(pair.clientAddress) }
    var serverUDP: SocketAddress { Self.socket(pair.serverAddress) }

    static func socket(_ path: PathAddress) -> SocketAddress {
        guard case .udp(let address) = path else { preconditionFailure("not a UDP path") }
        return address
    }

    /// Gives both sessions their candidates: the hosts' own addresses unless told otherwise.
    mutating func setCandidates(agent agentCandidates: [Candidate]? = nil, connector connectorCandidates: [Candidate]? = nil) {
        let agentList = agentCandidates ?? [Candidate(address: clientUDP, kind: .host)]
        let connectorList = connectorCandidates ?? [Candidate(address: serverUDP, kind: .host)]
        var agent = self.agent, connector = self.connector
        pair.withClient { connection, now in agent.setLocalCandidates(agentList, connection: &connection, now: now) }
        pair.withServer { connection, now in connector.setLocalCandidates(connectorList, connection: &connection, now: now) }
        self.agent = agent
        self.connector = connector
    }

    /// Delivers new events to the sessions and fires their due timers; repeats until nothing new happens.
    mutating func service() {
        var agent = self.agent, connector = self.connector
        var progressed = true
        while progressed {
            progressed = false
            while clientEventsSeen < pair.clientEvents.count {
                let event = pair.clientEvents[clientEventsSeen]
                clientEventsSeen += 1
                pair.withClient { connection, now in agent.handle(event, connection: &connection, now: now) }
                progressed = true
            }
            while serverEventsSeen < pair.serverEvents.count {
                let event = pair.serverEvents[serverEventsSeen]
                serverEventsSeen += 1
                pair.withServer { connection, now in connector.handle(event, connection: &connection, now: now) }
                progressed = true
            }
            if let due = agent.nextDeadline, due <= pair.now {
                pair.withClient { connection, now in agent.handleTimeout(connection: &connection, now: now) }
                progressed = true
            }
            if let due = connector.nextDeadline, due <= pair.now {
                pair.withServer { connection, now in connector.handleTimeout(connection: &connection, now: now) }
                progressed = true
            }
        }
        self.agent = agent
        self.connector = connector
    }

    /// Runs in virtual time until `condition` holds (checked after every step), or `maxTime` passed.
    @discardableResult
    mutating func run(until condition: (inout TraversalPair) -> Bool, maxTime: TimeAmount) -> Bool {
        let limit = pair.now + maxTime
        while true {
            service()
            if condition(&self) { return true }
            let candidates = [pair.nextEventTime(), agent.nextDeadline, connector.nextDeadline].compactMap { $0 }
            guard let next = candidates.min(), next <= limit else { return condition(&self) }
            pair.advance(to: max(next, pair.now))
        }
    }

    /// Runs until the handshake is confirmed on both sides.
    mutating func establish() -> Bool {
        run(until: { $0.pair.bothEstablished && $0.pair.clientConnection?.isHandshakeConfirmed == true
                && $0.pair.serverConnection?.isHandshakeConfirmed == true }, maxTime: .seconds(5))
    }

    /// Both NATs stop passing the direct path, both ways (the relay still works).
    mutating func cutDirectPath() {
        pair.clientRoutes[pair.serverAddress] = nil
        pair.serverRoutes[pair.clientAddress] = nil
    }

    mutating func healDirectPath() {
        pair.clientRoutes[pair.serverAddress] = pair.clientAddress
        pair.serverRoutes[pair.clientAddress] = pair.serverAddress
    }

    /// Sends every DATAGRAM the server received since the last call back to the client.
    mutating func echoServerDatagrams() {
        while serverDatagramsEchoed < pair.serverEvents.count {
            let event = pair.serverEvents[serverDatagramsEchoed]
            serverDatagramsEchoed += 1
            if case .datagram(let bytes) = event {
                pair.withServer { connection, _ in _ = try? connection.sendDatagram(bytes) }
            }
        }
    }

    /// DATAGRAMs the client received so far.
    var clientDatagramsReceived: Int {
        pair.clientEvents.count { if case .datagram = $0 { return true }; return false }
    }
}
