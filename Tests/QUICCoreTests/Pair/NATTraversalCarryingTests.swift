import NIOCore
@testable import QUICCore
import QUICWire
import Testing
import ZTNASimulation

/// The client's handle for the relay route, and the server's handle for the same route.
private let clientRelay = PathAddress.relayed(RelayRoute(1))
private let serverRelay = PathAddress.relayed(RelayRoute(2))

@Suite("NAT traversal frames carried by the connection (draft-seemann-quic-nat-traversal-02, address discovery)")
struct NATTraversalCarryingTests {
    /// A relayed pair (the tunnel's start, DESIGN.md §6); both sides offer NAT traversal unless told otherwise.
    static func pair(clientOffers: Bool = true, serverOffers: Bool = true, limit: UInt64 = 3, seed: UInt64 = 41,
                     clientDiscovery: AddressDiscoveryMode? = nil,
                     serverDiscovery: AddressDiscoveryMode? = nil, relayed: Bool = true) throws -> QUICPair {
        var pair = try QUICPair(latency: .milliseconds(10), seed: seed,
                                configureClient: {
                                    $0.offersNATTraversal = clientOffers
                                    $0.addressDiscovery = clientDiscovery
                                },
                                configureServer: {
                                    $0.offersNATTraversal = serverOffers
                                    $0.natTraversalConcurrencyLimit = limit
                                    $0.addressDiscovery = serverDiscovery
                                })
        if relayed {
            pair.clientRoutes[clientRelay] = serverRelay
            pair.serverRoutes[serverRelay] = clientRelay
            try pair.connect(via: clientRelay)
        } else {
            try pair.connect()
        }
        _ = pair.drive(until: { $0.bothEstablished && $0.clientConnection?.isHandshakeConfirmed == true },
                       maxTime: .seconds(5))
        return pair
    }

    static let v4 = FrameAddress(ip: .v4(0xC000_0202), port: 4433)            // 192.0.2.2:4433
    static let v6 = FrameAddress(ip: .v6(high: 0x2001_0db8_0000_0000, low: 2), port: 4433)

    // MARK: - Negotiation

    @Test func bothOfferingNegotiatesAndTheClientLearnsTheLimit() throws {
        let pair = try Self.pair(limit: 3)
        #expect(pair.clientConnection?.isNATTraversalNegotiated == true)
        #expect(pair.serverConnection?.isNATTraversalNegotiated == true)
        #expect(pair.clientConnection?.peerNATTraversalConcurrencyLimit == 3)
        #expect(pair.serverConnection?.probeConcurrencyLimit == 3)
        #expect(pair.clientConnection?.probeConcurrencyLimit == nil)   // nothing bounds the client's probes
    }

    @Test(arguments: [(true, false), (false, true), (false, false)])
    func oneSideNotOfferingMeansNoTraversal(clientOffers: Bool, serverOffers: Bool) throws {
        var pair = try Self.pair(clientOffers: clientOffers, serverOffers: serverOffers)
        #expect(pair.bothEstablished)
        #expect(pair.clientConnection?.isNATTraversalNegotiated == false)
        #expect(pair.serverConnection?.isNATTraversalNegotiated == false)
        #expect(pair.serverConnection?.probeConcurrencyLimit == nil)
        let advertised = pair.withServer { connection, _ in
            Result { () throws(QUICNATTraversalError) in try connection.advertiseAddress(Self.v4) }
        }
        #expect(throws: QUICNATTraversalError.notNegotiated) { try advertised?.get() }
    }

    // MARK: - The three frames, end to end

    @Test func advertisementsAndWithdrawalsReachTheClientOnce() throws {
        var pair = try Self.pair()
        let sequences = pair.withServer { connection, _ in
            [try? connection.advertiseAddress(Self.v4), try? connection.advertiseAddress(Self.v6),
             try? connection.advertiseAddress(Self.v4)]   // the same address again keeps its sequence number
        }
        #expect(sequences == [0, 1, 0])
        _ = pair.drive(until: { $0.clientEvents.contains(.addressAdvertised(sequence: 1, address: Self.v6)) },
                       maxTime: .seconds(2))
        #expect(pair.clientEvents.filter { if case .addressAdvertised = $0 { return true }; return false } == [
            .addressAdvertised(sequence: 0, address: Self.v4), .addressAdvertised(sequence: 1, address: Self.v6),
        ])
        _ = pair.withServer { connection, _ in try? connection.withdrawAddress(sequence: 0) }
        let reached1 = pair.drive(until: { $0.clientEvents.contains(.addressWithdrawn(sequence: 0)) }, maxTime: .seconds(2))
        #expect(reached1)
        #expect(pair.serverConnection?.advertisedAddresses == [1: Self.v6])
        let again = pair.withServer { connection, _ in
            Result { () throws(QUICNATTraversalError) in try connection.withdrawAddress(sequence: 0) }
        }
        #expect(throws: QUICNATTraversalError.unknownSequence) { try again?.get() }
    }

    @Test func punchRequestsReachTheServerAndANewRoundCancelsTheOld() throws {
        var pair = try Self.pair()
        let first = PunchMeNowFrame(round: 1, pairedWith: 0, address: Self.v4)
        let second = PunchMeNowFrame(round: 2, pairedWith: 0, address: Self.v6)
        _ = pair.withClient { connection, _ in try? connection.requestPunch(round: 1, pairedWith: 0, address: Self.v4) }
        let reached2 = pair.drive(until: { $0.serverEvents.contains(.punchRequested(first)) }, maxTime: .seconds(2))
        #expect(reached2)
        _ = pair.withClient { connection, _ in try? connection.requestPunch(round: 2, pairedWith: 0, address: Self.v6) }
        let reached3 = pair.drive(until: { $0.serverEvents.contains(.punchRequested(second)) }, maxTime: .seconds(2))
        #expect(reached3)
        let stale = pair.withClient { connection, _ in
            Result { () throws(QUICNATTraversalError) in
                try connection.requestPunch(round: 1, pairedWith: 0, address: Self.v4)
            }
        }
        #expect(throws: QUICNATTraversalError.staleRound) { try stale?.get() }
    }

    @Test func eachSideSendsOnlyItsOwnFrames() throws {
        var pair = try Self.pair()
        let clientAdvertises = pair.withClient { connection, _ in
            Result { () throws(QUICNATTraversalError) in try connection.advertiseAddress(Self.v4) }
        }
        #expect(throws: QUICNATTraversalError.notAllowed) { try clientAdvertises?.get() }
        let serverPunches = pair.withServer { connection, _ in
            Result { () throws(QUICNATTraversalError) in
                try connection.requestPunch(round: 1, pairedWith: 0, address: Self.v4)
            }
        }
        #expect(throws: QUICNATTraversalError.notAllowed) { try serverPunches?.get() }
    }

    /// Every datagram carrying a NAT traversal frame is lost the first two times: the frames still arrive,
    /// each reported once.
    @Test func lostFramesAreRetransmittedAndReportedOnce() throws {
        var pair = try Self.pair()
        var dropped = 0
        pair.filter = { _, bytes, _ in
            // Short-header packets of ≥ 30 bytes after the handshake; the frames are in the first few sent.
            guard dropped < 2, bytes.count > 30, bytes[0] & 0x80 == 0 else { return true }
            dropped += 1
            return false
        }
        _ = pair.withServer { connection, _ in try? connection.advertiseAddress(Self.v4) }
        _ = pair.withClient { connection, _ in try? connection.requestPunch(round: 1, pairedWith: 0, address: Self.v6) }
        let punch = PunchMeNowFrame(round: 1, pairedWith: 0, address: Self.v6)
        let reached4 = pair.drive(until: {
            $0.clientEvents.contains(.addressAdvertised(sequence: 0, address: Self.v4))
                && $0.serverEvents.contains(.punchRequested(punch))
        }, maxTime: .seconds(5))
        #expect(reached4)
        #expect(dropped == 2)
        // Let any further retransmissions land: still one event each.
        pair.advance(to: pair.now + .seconds(2))
        #expect(pair.clientEvents.count { if case .addressAdvertised = $0 { return true }; return false } == 1)
        #expect(pair.serverEvents.count { if case .punchRequested = $0 { return true }; return false } == 1)
    }

    // MARK: - Hostile or confused peers

    /// A client sending ADD_ADDRESS (the server's frame) is a PROTOCOL_VIOLATION (docs/protocol.md).
    @Test func wrongDirectionIsAProtocolViolation() throws {
        var pair = try Self.pair()
        _ = pair.withClient { connection, _ in
            connection.natTraversal.pending.append(.addAddress(AddAddressFrame(sequence: 0, address: Self.v4)))
        }
        _ = pair.drive(until: { $0.serverConnection == nil || $0.serverConnection?.isClosed == true
            || $0.serverEvents.contains { if case .closed = $0 { return true }; return false } }, maxTime: .seconds(2))
        #expect(pair.serverEvents.contains { event in
            guard case .closed(.transportError(let error)) = event else { return false }
            return error.code == TransportErrorCode.protocolViolation.rawValue && error.frameType == FrameType.addAddressIPv4
        })
    }

    /// Frames of an extension we did not offer are unknown frames: FRAME_ENCODING_ERROR (RFC 9000 §12.4).
    @Test func framesWithoutNegotiationAreUnknownFrames() throws {
        var pair = try Self.pair(serverOffers: false)
        _ = pair.withClient { connection, _ in
            connection.natTraversal.pending.append(.punchMeNow(PunchMeNowFrame(round: 1, pairedWith: 0, address: Self.v4)))
        }
        _ = pair.drive(until: { $0.serverEvents.contains { if case .closed = $0 { return true }; return false } },
                       maxTime: .seconds(2))
        #expect(pair.serverEvents.contains { event in
            guard case .closed(.transportError(let error)) = event else { return false }
            return error.code == TransportErrorCode.frameEncodingError.rawValue
        })
    }

    /// A peer cannot grow our state: beyond the bound, advertisements are counted and ignored.
    @Test func advertisementsBeyondTheBoundAreCountedAndIgnored() throws {
        var pair = try Self.pair()
        let limit = NATTraversalFrameState.peerEntryLimit
        _ = pair.withServer { connection, _ in
            for port in 0..<(limit + 10) {
                _ = try? connection.advertiseAddress(FrameAddress(ip: .v4(0xC000_0202), port: UInt16(1000 + port)))
            }
        }
        let reached5 = pair.drive(until: { $0.clientConnection?.statistics.natTraversalFramesIgnored == 10 },
                           maxTime: .seconds(5))
        #expect(reached5)
        #expect(pair.clientEvents.count { if case .addressAdvertised = $0 { return true }; return false } == limit)
        #expect(pair.clientConnection?.isEstablished == true)
    }

    // MARK: - Server-initiated validation

    /// The server probes the addresses the client paired, at most its concurrency limit at once; the probes
    /// are padded to 1200 bytes and each path uses its own connection ID (RFC 9000 §9.5).
    @Test func serverProbesArePaddedBoundedAndUseTheirOwnConnectionIDs() throws {
        var pair = try Self.pair(limit: 2)
        pair.recordsDatagrams = true
        pair.recordsShortHeaderConnectionIDs = true
        let targets = try (1...3).map { PathAddress.udp(try SocketAddress(ipAddress: "198.51.100.\($0)", port: 40000)) }
        let outcomes = pair.withServer { connection, now in
            targets.map { target in
                Result { () throws(QUICPathError) in try connection.probePath(target, now: now) }
            }
        } ?? []
        #expect(outcomes.count == 3)
        #expect((try? outcomes[0].get()) != nil)
        #expect((try? outcomes[1].get()) != nil)
        #expect(throws: QUICPathError.probeLimitReached) { try outcomes[2].get() }
        pair.flush()
        let probes = pair.sentDatagrams.filter { $0.side == .server && targets.contains($0.destination) }
        #expect(Set(probes.map(\.destination)) == Set(targets.prefix(2)))
        #expect(probes.allSatisfy { $0.size == 1200 })
        let ids = pair.shortHeaderConnectionIDs.filter { $0.side == .server && targets.contains($0.destination) }
        let idByPath = Dictionary(grouping: ids, by: \.destination).mapValues { Set($0.map(\.id)) }
        let relayedIDs = Set(pair.shortHeaderConnectionIDs.filter { $0.destination == serverRelay }.map(\.id))
        #expect(idByPath.values.allSatisfy { $0.count == 1 })
        #expect(Set(idByPath.values.flatMap { $0 }).count == 2)
        #expect(Set(idByPath.values.flatMap { $0 }).isDisjoint(with: relayedIDs))
        // Abandoning one frees a slot.
        let retry = pair.withServer { connection, now in
            connection.abandonPath(targets[0])
            return Result { () throws(QUICPathError) in try connection.probePath(targets[2], now: now) }
        }
        #expect((try? retry?.get()) != nil)
    }

    // MARK: - Address discovery

    @Test func theServerReportsTheAddressItSeesTheClientAt() throws {
        var pair = try Self.pair(clientDiscovery: .receiveOnly, serverDiscovery: .provideOnly, relayed: false)
        guard case .udp(let client) = pair.clientAddress, let expected = FrameAddress(client) else {
            Issue.record("the pair's client address is not UDP"); return
        }
        let reached6 = pair.drive(until: { $0.clientEvents.contains(.addressObserved(expected)) }, maxTime: .seconds(2))
        #expect(reached6)
        #expect(!pair.serverEvents.contains { if case .addressObserved = $0 { return true }; return false })
    }

    @Test func anObservationWeDidNotAskForIsAProtocolViolation() throws {
        var pair = try Self.pair(clientDiscovery: .provideOnly, serverDiscovery: .provideOnly, relayed: false)
        _ = pair.withClient { connection, _ in
            connection.natTraversal.pending.append(.observedAddress(ObservedAddressFrame(sequence: 0, address: Self.v4)))
        }
        _ = pair.drive(until: { $0.serverEvents.contains { if case .closed = $0 { return true }; return false } },
                       maxTime: .seconds(2))
        #expect(pair.serverEvents.contains { event in
            guard case .closed(.transportError(let error)) = event else { return false }
            return error.code == TransportErrorCode.protocolViolation.rawValue
        })
    }

    @Test(arguments: ["192.0.2.7", "2001:db8::7", "::ffff:192.0.2.7", "fe80::1:2:3:4", "::1", "1::"])
    func frameAddressesRoundTripSocketAddresses(text: String) throws {
        let socket = try SocketAddress(ipAddress: text, port: 4433)
        let frame = try #require(FrameAddress(socket))
        #expect(frame.socketAddress == socket)
        #expect(frame.port == 4433)
        #expect(frame.isIPv6 == text.contains(":"))
    }
}
