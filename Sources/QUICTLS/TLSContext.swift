internal import CNIOBoringSSL

/// Owns a BoringSSL `SSL_CTX` configured for QUIC: TLS 1.3 only, key exchange groups X25519MLKEM768,
/// X25519 and P-256 in that order, ALPN required to match.
///
/// A context is immutable once created and may be shared by many ``TLSSession``s on any thread
/// (BoringSSL reference-counts and locks the `SSL_CTX` internally).
public final class TLSContext: @unchecked Sendable {
    // MARK: - State

    /// The BoringSSL context; freed in `deinit`.
    let sslContext: OpaquePointer
    /// Client or server.
    let role: TLSConfiguration.Role
    /// Client: whether the server chain is verified. Server: unused.
    let verifyPeer: Bool
    /// Client: whether the server certificate is checked against the session's server name.
    let verifyHostname: Bool
    /// Server: the accepted ALPN protocols, most preferred first (RFC 7301 §3.2: the server chooses).
    let alpnProtocols: [[UInt8]]
    /// Where TLS secrets are logged, only when the configuration names a file.
    let keyLog: KeyLogWriter?
    /// The key exchange groups actually configured, in preference order.
    let groups: [String]

    /// Group preference (DESIGN.md §2): the post-quantum hybrid first, then the classic groups.
    static let preferredGroups = ["X25519MLKEM768", "X25519", "P-256"]

    // MARK: - Creation

    /// Creates the context, reading every file the configuration names.
    /// - Throws: ``TLSError`` naming the file or setting that could not be used.
    public convenience init(configuration: TLSConfiguration) throws(TLSError) {
        try self.init(configuration: configuration, groups: configuration.keyExchangeGroups ?? Self.preferredGroups)
    }

    /// Creates the context offering `groups` (by BoringSSL name) in that order, skipping unknown names.
    init(configuration: TLSConfiguration, groups: [String]) throws(TLSError) {
        let alpn = try Self.validatedALPN(configuration.alpn)
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_method()) else {
            throw TLSError.drainingErrorQueue("cannot create SSL_CTX")
        }
        var configured = false
        defer { if !configured { SSL_CTX_free(context) } }

        let configuredGroups = try Self.configureGroups(context, groups)
        try Self.configureProtocol(context, configuration)
        try Self.configureIdentity(context, configuration)
        try Self.configureVerification(context, configuration)
        try Self.configureALPN(context, role: configuration.role, protocols: alpn)
        // Opened last, so that a configuration error elsewhere leaves no file behind.
        let keyLog = try configuration.keyLogFile.map { path throws(TLSError) in try KeyLogWriter(path: path) }
        if keyLog != nil {
            // Installed only when a file is named: key material never leaves BoringSSL otherwise.
            SSL_CTX_set_keylog_callback(context) { ssl, line in BoringSSLCallbacks.logKey(ssl, line) }
        }
        configured = true

        self.sslContext = context
        self.role = configuration.role
        self.verifyPeer = configuration.verifyPeer
        self.verifyHostname = configuration.verifyHostname
        self.alpnProtocols = alpn
        self.keyLog = keyLog
        self.groups = configuredGroups
    }

    deinit {
        SSL_CTX_free(sslContext)
    }

    /// Whether the key-log callback is installed (for tests: it must be absent unless configured).
    var isKeyLogEnabled: Bool {
        SSL_CTX_get_keylog_callback(sslContext) != nil
    }

    // MARK: - Configuration steps

    /// TLS 1.3 only (RFC 9001 §4.2), the QUIC method table and cipher suites.
    private static func configureProtocol(_ context: OpaquePointer, _ configuration: TLSConfiguration) throws(TLSError) {
        guard SSL_CTX_set_min_proto_version(context, UInt16(TLS1_3_VERSION)) == 1,
              SSL_CTX_set_max_proto_version(context, UInt16(TLS1_3_VERSION)) == 1 else {
            throw TLSError.drainingErrorQueue("cannot restrict the context to TLS 1.3")
        }
        guard SSL_CTX_set_quic_method(context, BoringSSLCallbacks.quicMethod) == 1 else {
            throw TLSError.drainingErrorQueue("cannot install the QUIC method")
        }
        if let suites = configuration.cipherSuites {
            guard !suites.isEmpty else {
                throw TLSError(message: "cipherSuites must not be empty (use nil for the default suites)")
            }
            let accepted = suites.withUnsafeBufferPointer { ids in
                SSL_CTX_set1_tls13_ciphers(context, ids.baseAddress, nil, ids.count)
            }
            guard accepted == 1 else {
                let list = suites.map { "0x" + String($0, radix: 16) }.joined(separator: ", ")
                throw TLSError.drainingErrorQueue("cipherSuites [\(list)] are not all TLS 1.3 cipher suites")
            }
        }
    }

    /// Sets the group preference and returns the groups configured. A group this BoringSSL does not know is
    /// skipped rather than fatal, so that a BoringSSL update that drops a name degrades instead of failing.
    private static func configureGroups(_ context: OpaquePointer, _ names: [String]) throws(TLSError) -> [String] {
        if !names.isEmpty, SSL_CTX_set1_groups_list(context, names.joined(separator: ":")) == 1 { return names }
        ERR_clear_error()
        let known = names.filter { name in
            defer { ERR_clear_error() }
            return SSL_CTX_set1_groups_list(context, name) == 1
        }
        guard !known.isEmpty, SSL_CTX_set1_groups_list(context, known.joined(separator: ":")) == 1 else {
            throw TLSError.drainingErrorQueue("none of the key exchange groups \(names) is supported")
        }
        return known
    }

    /// Loads the certificate chain and private key, required for servers and optional for clients.
    private static func configureIdentity(_ context: OpaquePointer, _ configuration: TLSConfiguration) throws(TLSError) {
        switch (configuration.certificateChainFile, configuration.privateKeyFile) {
        case (nil, nil):
            if configuration.role == .server {
                throw TLSError(message: "a server needs certificateChainFile and privateKeyFile")
            }
        case (let chain?, let key?):
            guard SSL_CTX_use_certificate_chain_file(context, chain) == 1 else {
                throw TLSError.drainingErrorQueue("cannot load the certificate chain from '\(chain)'")
            }
            guard SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1 else {
                throw TLSError.drainingErrorQueue("cannot load the private key from '\(key)'")
            }
            guard SSL_CTX_check_private_key(context) == 1 else {
                throw TLSError.drainingErrorQueue("the private key '\(key)' does not match the certificate in '\(chain)'")
            }
        case (let chain?, nil):
            throw TLSError(message: "certificateChainFile '\(chain)' is set but privateKeyFile is not")
        case (nil, let key?):
            throw TLSError(message: "privateKeyFile '\(key)' is set but certificateChainFile is not")
        }
    }

    /// Trust roots and verification mode: clients verify servers (unless disabled); servers verify client
    /// certificates when they ask for them.
    private static func configureVerification(_ context: OpaquePointer, _ configuration: TLSConfiguration) throws(TLSError) {
        let mode: Int32
        switch configuration.role {
        case .client:
            mode = configuration.verifyPeer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE
        case .server:
            switch configuration.clientAuthentication {
            case .none: mode = SSL_VERIFY_NONE
            case .optional: mode = SSL_VERIFY_PEER
            case .required: mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
            }
            if mode != SSL_VERIFY_NONE && configuration.trustRootsFile == nil {
                throw TLSError(message: "client authentication needs trustRootsFile to verify client certificates")
            }
        }
        if let roots = configuration.trustRootsFile {
            guard SSL_CTX_load_verify_locations(context, roots, nil) == 1 else {
                throw TLSError.drainingErrorQueue("cannot load trust roots from '\(roots)'")
            }
        } else if mode != SSL_VERIFY_NONE {
            guard SSL_CTX_set_default_verify_paths(context) == 1 else {
                throw TLSError.drainingErrorQueue("cannot load the system trust roots")
            }
        }
        SSL_CTX_set_verify(context, mode, nil)
    }

    /// Client: the offered list. Server: a selection callback that picks by server preference.
    private static func configureALPN(_ context: OpaquePointer, role: TLSConfiguration.Role, protocols: [[UInt8]]) throws(TLSError) {
        switch role {
        case .client:
            // RFC 7301 §3.1 wire format: each name prefixed by its one-byte length.
            var wire: [UInt8] = []
            for name in protocols {
                wire.append(UInt8(name.count))
                wire.append(contentsOf: name)
            }
            // Unusually, SSL_CTX_set_alpn_protos returns 0 on success.
            let result = wire.withUnsafeBufferPointer { SSL_CTX_set_alpn_protos(context, $0.baseAddress, $0.count) }
            guard result == 0 else { throw TLSError.drainingErrorQueue("cannot set the ALPN protocols") }
        case .server:
            SSL_CTX_set_alpn_select_cb(context, { ssl, out, outLength, offered, offeredLength, _ in
                BoringSSLCallbacks.selectALPN(ssl, out, outLength, offered, offeredLength)
            }, nil)
        }
    }

    /// QUIC requires ALPN (RFC 9001 §8.1); each name is 1…255 bytes (RFC 7301 §3.1).
    private static func validatedALPN(_ names: [String]) throws(TLSError) -> [[UInt8]] {
        guard !names.isEmpty else { throw TLSError(message: "alpn must name at least one protocol") }
        var result: [[UInt8]] = []
        for name in names {
            let bytes = Array(name.utf8)
            guard (1...255).contains(bytes.count) else {
                throw TLSError(message: "ALPN protocol '\(name)' must be 1 to 255 bytes long")
            }
            result.append(bytes)
        }
        return result
    }
}
