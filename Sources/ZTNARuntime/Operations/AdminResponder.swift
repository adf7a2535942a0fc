import Hummingbird
import NIOCore

// MARK: - AdminResponder

/// Routes admin requests. A fixed table of five paths, so a plain `switch` instead of a router:
/// exact-path matches, `GET`/`HEAD` only (405 with `Allow` otherwise), 404 for anything else.
struct AdminResponder: HTTPResponder {
    typealias Context = BasicRequestContext

    /// Prometheus text exposition format 0.0.4 (what Prometheus negotiates by default).
    static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    let registry: MetricsRegistry
    let readiness: @Sendable () async -> Readiness
    let status: @Sendable () async -> Result<[UInt8], AdminStatusEncodingError>
    let page: ByteBuffer

    init(
        role: String,
        registry: MetricsRegistry,
        readiness: @escaping @Sendable () async -> Readiness,
        status: @escaping @Sendable () async -> Result<[UInt8], AdminStatusEncodingError>
    ) {
        self.registry = registry
        self.readiness = readiness
        self.status = status
        self.page = ByteBuffer(string: AdminStatusPage.html(role: role))
    }

    // MARK: - HTTPResponder

    func respond(to request: Request, context: Context) async throws -> Response {
        guard request.method == .get || request.method == .head else {
            var response = Self.text(.methodNotAllowed, "method not allowed\n")
            response.headers[.allow] = "GET, HEAD"
            return response
        }
        let response: Response
        switch request.uri.path {
        case "/metrics":
            let bytes = await self.registry.render()
            response = Self.body(.ok, ByteBuffer(bytes: bytes), contentType: Self.metricsContentType)
        case "/healthz":
            // Liveness: answering at all is the signal.
            response = Self.text(.ok, "ok\n")
        case "/readyz":
            switch await self.readiness() {
            case .ready:
                response = Self.text(.ok, "ready\n")
            case .notReady(let reason):
                response = Self.text(.serviceUnavailable, Self.oneLine(reason) + "\n")
            }
        case "/api/v1/status":
            switch await self.status() {
            case .success(let json):
                response = Self.body(.ok, ByteBuffer(bytes: json), contentType: "application/json")
            case .failure(let error):
                response = Self.text(.internalServerError, "status encoding failed: \(error)\n")
            }
        case "/":
            var page = Self.body(.ok, self.page, contentType: "text/html; charset=utf-8")
            page.headers[.contentSecurityPolicy] = AdminStatusPage.contentSecurityPolicy
            response = page
        default:
            response = Self.text(.notFound, "not found\n")
        }
        return request.method == .head ? response.createHeadResponse() : response
    }

    // MARK: - Responses

    private static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        self.body(status, ByteBuffer(string: text), contentType: "text/plain; charset=utf-8")
    }

    private static func body(_ status: HTTPResponse.Status, _ buffer: ByteBuffer, contentType: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        // Every answer describes the current state: never serve it from a cache.
        headers[.cacheControl] = "no-store"
        headers[.xContentTypeOptions] = "nosniff"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: buffer))
    }

    /// A readiness reason is shown in one line of plain text.
    private static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}

// MARK: - AdminStatusEncodingError

/// The status value could not be encoded as JSON (for example a non-finite `Double`).
struct AdminStatusEncodingError: Error, Sendable, CustomStringConvertible {
    var description: String
}
