public import QUICCore
public import NIOCore

/// A change of one of a connection's paths (RFC 9000 §8.2, §9), as `QUICNIOConnection.pathEvents` delivers it.
public enum QUICPathEvent: Sendable, Hashable, CustomStringConvertible {
    /// The peer answered our PATH_CHALLENGE on this path: it can carry the connection.
    case validated(PathAddress)
    /// The path did not answer within the validation schedule; the connection stays where it was.
    case failed(PathAddress)
    /// The peer now sends from this address (its migration, or a NAT rebinding); the connection follows and
    /// validates it.
    case peerAddressChanged(PathAddress)
    /// The connection's packets now go to this address.
    case activePathChanged(PathAddress)

    public var description: String {
        switch self {
        case .validated(let remote): "validated \(remote)"
        case .failed(let remote): "failed \(remote)"
        case .peerAddressChanged(let remote): "peer moved to \(remote)"
        case .activePathChanged(let remote): "active path \(remote)"
        }
    }
}

/// Why a path operation failed.
public enum QUICPathOperationError: Error, Sendable, Hashable {
    /// The core refused it (not confirmed yet, not allowed for this role, migration disabled, path not validated).
    case refused(QUICPathError)
    /// The connection is closed.
    case connectionClosed
}

extension QUICNIOConnection {
    // MARK: - Paths (RFC 9000 §8.2, §9)

    /// Where the connection's packets go now; nil once it is closed.
    public var activePath: PathAddress? {
        get async {
            let driver = self.driver
            return await driver.eventLoop.runOnLoop { driver.value.withConnection { $0.activePath } ?? nil }
        }
    }

    /// Whether the peer proved it receives on `remote`.
    public func isPathValidated(_ remote: PathAddress) async -> Bool {
        let driver = self.driver
        return await driver.eventLoop.runOnLoop { driver.value.withConnection { $0.isPathValidated(remote) } ?? false }
    }

    /// A path's round-trip time: the connection's estimate for the active path, the validation's measurement
    /// for another; nil without a sample (NAT traversal compares candidate paths with it).
    public func pathRTT(_ remote: PathAddress) async -> TimeAmount? {
        let driver = self.driver
        return await driver.eventLoop.runOnLoop { driver.value.withConnection { $0.pathRTT(remote) } ?? nil }
    }

    /// Starts validating `remote` with PATH_CHALLENGE frames from this endpoint's socket (or relay route);
    /// `pathEvents` reports `.validated` or `.failed`. Either side may probe (NAT traversal, DESIGN.md §6).
    /// - Parameter maxUDPPayload: the largest UDP payload the path carries (a relayed path carries less).
    public func probePath(_ remote: PathAddress, maxUDPPayload: Int? = nil) async throws(QUICPathOperationError) {
        let driver = self.driver
        let result = await driver.eventLoop.runOnLoop { () -> Result<Void, QUICPathOperationError>? in
            driver.value.withConnection { connection in
                Result { () throws(QUICPathError) in
                    try connection.probePath(remote, maxUDPPayload: maxUDPPayload, now: .now())
                }.mapError(QUICPathOperationError.refused)
            }
        }
        try (result ?? .failure(.connectionClosed)).get()
    }

    /// Client: moves the connection to a validated path (RFC 9000 §9.2), e.g. relayed → direct and back.
    public func migrate(to remote: PathAddress) async throws(QUICPathOperationError) {
        let driver = self.driver
        let result = await driver.eventLoop.runOnLoop { () -> Result<Void, QUICPathOperationError>? in
            driver.value.withConnection { connection in
                Result { () throws(QUICPathError) in try connection.migrate(to: remote, now: .now()) }
                    .mapError(QUICPathOperationError.refused)
            }
        }
        try (result ?? .failure(.connectionClosed)).get()
    }

    /// Sets the largest UDP payload a path carries (what a relay route leaves for the tunnel packet).
    public func setMaxUDPPayload(_ size: Int, for remote: PathAddress) async {
        let driver = self.driver
        await driver.eventLoop.runOnLoop { driver.value.withConnection { $0.setMaxUDPPayload(size, for: remote) } }
    }
}
