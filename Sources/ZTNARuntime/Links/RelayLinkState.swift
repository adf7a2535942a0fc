import Logging
import NIOCore
import QUICCore
import QUICNIO
import ZTNAProtocol

/// The loop-confined half of a `RelayLink`: the sans-IO `RelaySession`, the live connection and the one
/// registration timer. Every method runs on the endpoint's event loop.
final class RelayLinkState {
    var session: RelaySession
    var connection: QUICNIOConnection?
    var timer: Scheduled<Void>?
    var connects = 0
    var lastError: String?
    let events: @Sendable (RelayLinkEvent) -> Void
    let logger: Logger

    init(session: RelaySession, logger: Logger, events: @escaping @Sendable (RelayLinkEvent) -> Void) {
        self.session = session
        self.logger = logger
        self.events = events
    }

    /// The handshake completed: register everything and take the connection's datagrams on the loop.
    func attach(_ connection: QUICNIOConnection, eventLoop: any EventLoop) {
        self.connection = connection
        connects += 1
        lastError = nil
        connection.setDatagramHandlerOnLoop { [self] bytes in
            session.handle(bytes[...], now: .now())
            pump(eventLoop: eventLoop)
        }
        events(.connected)
        session.connected(now: .now())
        pump(eventLoop: eventLoop)
    }

    /// The connection ended: forget the registrations (they live as long as the connection, DESIGN.md §3).
    func detach(_ reason: QUICCloseReason) {
        connection = nil
        timer?.cancel()
        timer = nil
        session.disconnected()
        lastError = "\(reason)"
        events(.disconnected(reason))
    }

    /// Sends what the session queued, reports its events, re-arms the retry timer.
    func pump(eventLoop: any EventLoop) {
        while let datagram = session.pollDatagram() {
            _ = connection?.sendDatagramOnLoop(datagram)
        }
        while let event = session.pollEvent() {
            switch event {
            case .registered(let service):
                logger.info("registered with relay", metadata: ["service": "\(service)"])
            case .refused(let service, let reason):
                logger.warning("relay refused registration", metadata: ["service": "\(service)", "reason": "\(reason)"])
            case .availabilityChanged(let service, let available):
                logger.info("service availability", metadata: ["service": "\(service)", "available": "\(available)"])
            case .observedAddress(let address):
                logger.debug("observed address", metadata: ["address": "\(address)"])
            case .serviceDatagram, .peerDatagram:
                break
            }
            events(.session(event))
        }
        timer?.cancel()
        timer = nil
        if let deadline = session.pollTimeout() {
            timer = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
                session.handleTimeout(now: .now())
                pump(eventLoop: eventLoop)
            }
        }
    }

    /// Sends an already-encoded relay message; false when not connected (or the DATAGRAM was refused).
    func send(_ bytes: [UInt8]) -> Bool {
        guard let connection else { return false }
        if case .success = connection.sendDatagramOnLoop(bytes) { return true }
        return false
    }
}
