import Hummingbird
public import NIOCore
import NIOPosix
import Logging
import ServiceLifecycle
import Synchronization

/// The demo's web application: `GET /` answers a short HTML page naming the backend, `GET /bytes/N` answers
/// N bytes (at most 16 MiB). Listens on loopback only.
public final class DemoHTTPBackend: Sendable {
    public let address: SocketAddress
    private let task: Task<Void, any Error>
    private let group: ServiceGroup

    public static func start(host: String = "127.0.0.1") async throws -> DemoHTTPBackend {
        let router = Router()
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: "<h1>ztna demo web app</h1><p>reached through the tunnel</p>\n")))
        }
        router.get("/bytes/:count") { _, context in
            let count = min(max(0, Int(context.parameters.get("count") ?? "0") ?? 0), 16 << 20)
            return Response(status: .ok, headers: [.contentType: "application/octet-stream"],
                            body: .init(byteBuffer: ByteBuffer(repeating: 0x5A, count: count)))
        }
        let listening = ListeningAddress()
        var logger = Logger(label: "ztna.demo.http")
        logger.logLevel = .warning
        let application = Application(
            router: router, configuration: .init(address: .hostname(host, port: 0)),
            onServerRunning: { channel in listening.set(channel.localAddress) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [application], logger: logger))
        let task = Task { try await group.run() }
        guard let address = await listening.wait() else {
            await group.triggerGracefulShutdown()
            throw ChannelError.inappropriateOperationForState
        }
        return DemoHTTPBackend(address: address, task: task, group: group)
    }

    private init(address: SocketAddress, task: Task<Void, any Error>, group: ServiceGroup) {
        self.address = address
        self.task = task
        self.group = group
    }

    /// Stops accepting, lets in-flight requests finish, and waits until the server stopped.
    public func close() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}

/// The bound address, handed from Hummingbird's callback to the starter.
private final class ListeningAddress: Sendable {
    private let state = Mutex<(address: SocketAddress?, done: Bool, waiters: [CheckedContinuation<SocketAddress?, Never>])>((nil, false, []))

    func set(_ address: SocketAddress?) {
        let waiters = state.withLock { state in
            state.address = address
            state.done = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: address) }
    }

    func wait() async -> SocketAddress? {
        await withCheckedContinuation { continuation in
            let ready: SocketAddress?? = state.withLock { state in
                if state.done { return .some(state.address) }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
