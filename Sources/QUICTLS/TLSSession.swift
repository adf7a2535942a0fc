internal import CNIOBoringSSL

/// One TLS 1.3 handshake for one QUIC connection (RFC 9001 §4), owning a BoringSSL `SSL`.
///
/// BoringSSL does the handshake; this type only moves bytes and secrets. Use it in four kinds of calls:
/// - inputs: ``start()`` (client), ``handle(cryptoData:level:)`` with in-order CRYPTO data;
/// - outputs: after every input, drain ``pollOutput()`` until it returns `nil`. Outputs come in the order
///   BoringSSL produced them, so a level's secret always precedes the data sent at that level;
/// - getters: ``isHandshakeComplete``, ``peerTransportParameters``, ``negotiatedALPN``, …
///
/// A failure is final: once an input has thrown, every later input throws the same error.
/// Not thread-safe: a session belongs to one connection.
public final class TLSSession {
    // MARK: - State

    /// The context this session was created from (kept alive for the callbacks).
    let context: TLSContext
    /// The BoringSSL connection; freed in `deinit`.
    private let ssl: OpaquePointer
    /// Outputs not yet polled; `outputHead` is the next one to return.
    private var outputs: [TLSOutput] = []
    private var outputHead = 0
    /// Client: whether the ClientHello was produced.
    private var started = false
    /// The first failure, repeated to every later input.
    private var failure: TLSError?
    /// The fatal alert BoringSSL raised during the current call, if any.
    private var raisedAlert: UInt8?

    /// Whether the handshake is complete (client: Finished sent; server: client Finished verified).
    public private(set) var isHandshakeComplete = false

    // MARK: - Creation

    /// Creates a session.
    /// - Parameters:
    ///   - serverName: client only: sent as SNI unless it is an IP literal, and checked against the server
    ///     certificate (DNS or IP SAN) when the context verifies hostnames. Ignored by servers.
    ///   - transportParameters: our encoded QUIC transport parameters (RFC 9000 §18), sent in the
    ///     quic_transport_parameters extension 0x39 (RFC 9001 §8.2).
    /// - Throws: ``TLSError`` if BoringSSL refuses a setting, `transportParameters` is empty, or a client
    ///   must verify its peer's name but has none.
    public init(context: TLSContext, serverName: String?, transportParameters: [UInt8]) throws(TLSError) {
        // RFC 9000 §7.3: initial_source_connection_id is always sent, so the encoding is never empty (and
        // BoringSSL would only fail later, inside the handshake).
        guard !transportParameters.isEmpty else {
            throw TLSError(message: "transportParameters must not be empty")
        }
        ERR_clear_error()
        guard let ssl = SSL_new(context.sslContext) else {
            throw TLSError.drainingErrorQueue("cannot create SSL")
        }
        var configured = false
        defer { if !configured { SSL_free(ssl) } }

        // RFC 9001 §8.2: the final codepoint 0x39, not the draft one.
        SSL_set_quic_use_legacy_codepoint(ssl, 0)
        let accepted = transportParameters.withUnsafeBufferPointer {
            SSL_set_quic_transport_params(ssl, $0.baseAddress, $0.count)
        }
        guard accepted == 1 else { throw TLSError.drainingErrorQueue("cannot set the transport parameters") }

        switch context.role {
        case .client:
            SSL_set_connect_state(ssl)
            try Self.configureServerName(ssl, serverName, context: context)
        case .server:
            SSL_set_accept_state(ssl)
        }
        configured = true
        self.ssl = ssl
        self.context = context
    }

    deinit {
        SSL_free(ssl)
    }

    /// SNI and the name the server certificate must carry.
    private static func configureServerName(_ ssl: OpaquePointer, _ serverName: String?, context: TLSContext) throws(TLSError) {
        let checksName = context.verifyPeer && context.verifyHostname
        guard let serverName else {
            if checksName {
                throw TLSError(message: "hostname verification is enabled but no serverName was given")
            }
            return
        }
        guard !serverName.isEmpty else { throw TLSError(message: "serverName must not be empty") }
        let isIPAddress = isIPLiteral(serverName)
        // RFC 6066 §3: literal IP addresses are not permitted in SNI.
        if !isIPAddress {
            guard SSL_set_tlsext_host_name(ssl, serverName) == 1 else {
                throw TLSError.drainingErrorQueue("cannot send '\(serverName)' as SNI")
            }
        }
        guard checksName else { return }
        if isIPAddress {
            guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName) == 1 else {
                throw TLSError.drainingErrorQueue("cannot verify IP address '\(serverName)'")
            }
        } else {
            // RFC 6125 §6.4.4: match subjectAltName only, never the subject common name.
            SSL_set_hostflags(ssl, UInt32(X509_CHECK_FLAG_NEVER_CHECK_SUBJECT))
            guard SSL_set1_host(ssl, serverName) == 1 else {
                throw TLSError.drainingErrorQueue("cannot verify host name '\(serverName)'")
            }
        }
    }

    /// Whether `name` is an IPv4 or IPv6 literal.
    private static func isIPLiteral(_ name: String) -> Bool {
        guard let address = a2i_IPADDRESS(name) else {
            ERR_clear_error()
            return false
        }
        ASN1_OCTET_STRING_free(address)
        return true
    }

    // MARK: - Inputs

    /// Client: produces the ClientHello as Initial handshake data (Initial keys come from the connection ID,
    /// not from TLS: RFC 9001 §5.2). Later calls, and every call on a server, do nothing.
    public func start() throws(TLSError) {
        if let failure { throw failure }
        guard context.role == .client, !started else { return }
        started = true
        try advanceHandshake()
    }

    /// Feeds CRYPTO data received at `level`, in order and without gaps (the caller reassembles,
    /// RFC 9000 §19.6), and drives the handshake or, once it is complete, processes post-handshake
    /// messages such as NewSessionTicket (RFC 9001 §4.1.3).
    /// - Throws: ``TLSError`` when the data is invalid, arrives at a level the handshake does not expect,
    ///   exceeds BoringSSL's flight limit, or the handshake fails (e.g. a certificate is rejected).
    public func handle(cryptoData: [UInt8], level: TLSEncryptionLevel) throws(TLSError) {
        if let failure { throw failure }
        guard !cryptoData.isEmpty else { return }
        ERR_clear_error()
        let accepted = cryptoData.withUnsafeBufferPointer {
            SSL_provide_quic_data(ssl, level.boringSSLLevel, $0.baseAddress, $0.count)
        }
        guard accepted == 1 else {
            throw fail(TLSError.drainingErrorQueue("CRYPTO data at the \(level) level was rejected"))
        }
        if isHandshakeComplete {
            try processPostHandshake()
        } else {
            try advanceHandshake()
        }
    }

    // MARK: - Outputs

    /// The next output, or `nil` when there is none. Drain after every input.
    public func pollOutput() -> TLSOutput? {
        guard outputHead < outputs.count else { return nil }
        let output = outputs[outputHead]
        outputHead += 1
        if outputHead == outputs.count {
            // Everything polled: reuse the storage instead of growing it.
            outputs.removeAll(keepingCapacity: true)
            outputHead = 0
        }
        return output
    }

    // MARK: - Getters

    /// The peer's encoded QUIC transport parameters, once received (RFC 9001 §8.2).
    public var peerTransportParameters: [UInt8]? {
        var pointer: UnsafePointer<UInt8>?
        var length = 0
        SSL_get_peer_quic_transport_params(ssl, &pointer, &length)
        guard let pointer, length > 0 else { return nil }
        return Array(UnsafeBufferPointer(start: pointer, count: length))
    }

    /// The negotiated ALPN protocol (RFC 7301), once known.
    public var negotiatedALPN: String? {
        var pointer: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &pointer, &length)
        guard let pointer, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: Int(length)), as: UTF8.self)
    }

    /// Server: the SNI host name the client sent (RFC 6066 §3), if any.
    public var requestedServerName: String? {
        guard let name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name) else { return nil }
        return String(cString: name)
    }

    /// The certificates the peer sent, DER-encoded, leaf first; empty when it sent none.
    public var peerCertificateChainDER: [[UInt8]] {
        guard let chain = SSL_get0_peer_certificates(ssl) else { return [] }
        let count = OPENSSL_sk_num(chain)
        var result: [[UInt8]] = []
        result.reserveCapacity(count)
        for index in 0..<count {
            guard let raw = OPENSSL_sk_value(chain, index) else { continue }
            let buffer = OpaquePointer(raw)
            guard let data = CRYPTO_BUFFER_data(buffer) else { continue }
            result.append(Array(UnsafeBufferPointer(start: data, count: CRYPTO_BUFFER_len(buffer))))
        }
        return result
    }

    /// The negotiated TLS 1.3 cipher suite (IANA id, e.g. 0x1301), once known.
    public var negotiatedCipherSuite: UInt16? {
        guard let cipher = SSL_get_current_cipher(ssl) else { return nil }
        return SSL_CIPHER_get_protocol_id(cipher)
    }

    /// The negotiated key exchange group, e.g. "X25519MLKEM768", once known.
    public var negotiatedGroupName: String? {
        let group = SSL_get_group_id(ssl)
        guard group != 0, let name = SSL_get_group_name(group) else { return nil }
        return String(cString: name)
    }

    // MARK: - Driving BoringSSL

    /// Runs `SSL_do_handshake` with the session reachable from the callbacks.
    private func advanceHandshake() throws(TLSError) {
        let result = withSessionInstalled { SSL_do_handshake(ssl) }
        if result == 1 {
            if !isHandshakeComplete {
                isHandshakeComplete = true
                enqueue(.handshakeComplete)
            }
            return
        }
        // WANT_READ: BoringSSL needs the peer's next flight; everything else is fatal.
        guard SSL_get_error(ssl, result) == SSL_ERROR_WANT_READ else {
            throw fail(handshakeError("handshake failed"))
        }
    }

    /// Processes post-handshake messages (NewSessionTicket) after `SSL_provide_quic_data`.
    private func processPostHandshake() throws(TLSError) {
        let result = withSessionInstalled { SSL_process_quic_post_handshake(ssl) }
        guard result == 1 else { throw fail(handshakeError("post-handshake message rejected")) }
    }

    /// Makes `self` reachable from the C callbacks for the duration of `body` only (see
    /// ``BoringSSLCallbacks``). The pointer is unretained: `self` is alive for the whole call.
    private func withSessionInstalled(_ body: () -> Int32) -> Int32 {
        ERR_clear_error()
        raisedAlert = nil
        SSL_set_ex_data(ssl, BoringSSLCallbacks.sessionIndex, Unmanaged.passUnretained(self).toOpaque())
        defer { SSL_set_ex_data(ssl, BoringSSLCallbacks.sessionIndex, nil) }
        return body()
    }

    /// The error for a failed call: the alert BoringSSL raised, its error queue, and the certificate
    /// verification result when that is what failed.
    private func handshakeError(_ context: String) -> TLSError {
        var error = TLSError.drainingErrorQueue(context, alert: raisedAlert)
        let verification = SSL_get_verify_result(ssl)
        // X509_V_ERR_INVALID_CALL means no certificate was verified (yet): nothing to add.
        if verification != X509_V_OK && verification != X509_V_ERR_INVALID_CALL {
            let reason = String(cString: X509_verify_cert_error_string(verification))
            error.message += " (certificate verification: \(reason))"
        }
        return error
    }

    /// Records `error` as final and returns it for throwing.
    private func fail(_ error: TLSError) -> TLSError {
        failure = error
        return error
    }

    // MARK: - Callback sinks (called only during a BoringSSL call)

    /// Queues an output.
    func enqueue(_ output: TLSOutput) {
        outputs.append(output)
    }

    /// Queues handshake bytes, appending to the last unpolled output when it is data at the same level,
    /// so that one flight at one level comes out as one output.
    func enqueueHandshakeData(_ bytes: UnsafeBufferPointer<UInt8>, level: TLSEncryptionLevel) {
        if outputs.count > outputHead, case .handshakeData(let lastLevel, var data) = outputs[outputs.count - 1],
           lastLevel == level {
            // Drop the queue's reference first so that `data` is uniquely owned and appends in place.
            outputs[outputs.count - 1] = .handshakeComplete
            data.append(contentsOf: bytes)
            outputs[outputs.count - 1] = .handshakeData(level, data)
        } else {
            outputs.append(.handshakeData(level, Array(bytes)))
        }
    }

    /// Remembers the fatal alert of the current call (RFC 9001 §4.8).
    func recordAlert(_ alert: UInt8) {
        raisedAlert = alert
    }
}
