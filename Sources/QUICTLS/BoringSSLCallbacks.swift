internal import CNIOBoringSSL

/// The C side of the bridge: one static `SSL_QUIC_METHOD` table shared by every connection, plus the ALPN
/// and key-log callbacks.
///
/// As in quiche, a callback finds its ``TLSSession`` through `SSL_get_ex_data`. The session stores an
/// unretained pointer to itself only for the duration of each call into BoringSSL and clears it afterwards,
/// so a callback can never reach a freed session, and no `Unmanaged` reference is ever leaked. Callbacks do
/// nothing but copy bytes and secrets into the session's output queue (RFC 9001 §4.1.3).
enum BoringSSLCallbacks {
    // MARK: - Tables and indices

    /// The ex_data slot holding the current ``TLSSession`` pointer. Allocated once per process.
    static let sessionIndex: Int32 = SSL_get_ex_new_index(0, nil, nil, nil, nil)

    /// The method table BoringSSL calls during `SSL_do_handshake`, `SSL_provide_quic_data` and
    /// `SSL_process_quic_post_handshake`. It must outlive every `SSL_CTX`, so it is never freed.
    nonisolated(unsafe) static let quicMethod: UnsafePointer<SSL_QUIC_METHOD> = {
        let table = UnsafeMutablePointer<SSL_QUIC_METHOD>.allocate(capacity: 1)
        table.initialize(to: SSL_QUIC_METHOD(
            set_read_secret: { ssl, level, cipher, secret, length in
                BoringSSLCallbacks.installSecret(ssl, isRead: true, level, cipher, secret, length)
            },
            set_write_secret: { ssl, level, cipher, secret, length in
                BoringSSLCallbacks.installSecret(ssl, isRead: false, level, cipher, secret, length)
            },
            add_handshake_data: { ssl, level, data, length in
                BoringSSLCallbacks.addHandshakeData(ssl, level, data, length)
            },
            flush_flight: { ssl in
                // Our outputs are pulled by the caller after each call, so a flight needs no flushing.
                BoringSSLCallbacks.session(ssl) == nil ? 0 : 1
            },
            send_alert: { ssl, level, alert in
                BoringSSLCallbacks.recordAlert(ssl, level, alert)
            }
        ))
        return UnsafePointer(table)
    }()

    /// The session currently driving `ssl`, or `nil` outside a call into BoringSSL.
    static func session(_ ssl: OpaquePointer?) -> TLSSession? {
        guard let ssl, let pointer = SSL_get_ex_data(ssl, sessionIndex) else { return nil }
        return Unmanaged<TLSSession>.fromOpaque(pointer).takeUnretainedValue()
    }

    // MARK: - QUIC method callbacks

    /// `set_read_secret` / `set_write_secret`: RFC 9001 §4.1.4 key installation.
    static func installSecret(
        _ ssl: OpaquePointer?, isRead: Bool, _ level: ssl_encryption_level_t, _ cipher: OpaquePointer?,
        _ secret: UnsafePointer<UInt8>?, _ length: Int
    ) -> Int32 {
        guard let session = session(ssl), let level = TLSEncryptionLevel(level), let cipher,
              let secret, length > 0 else { return 0 }
        let suite = SSL_CIPHER_get_protocol_id(cipher)
        let bytes = Array(UnsafeBufferPointer(start: secret, count: length))
        session.enqueue(isRead ? .readSecret(level, cipherSuite: suite, secret: bytes)
                               : .writeSecret(level, cipherSuite: suite, secret: bytes))
        return 1
    }

    /// `add_handshake_data`: bytes to send in CRYPTO frames at `level` (RFC 9001 §4.1.3).
    static func addHandshakeData(
        _ ssl: OpaquePointer?, _ level: ssl_encryption_level_t, _ data: UnsafePointer<UInt8>?, _ length: Int
    ) -> Int32 {
        guard let session = session(ssl), let level = TLSEncryptionLevel(level) else { return 0 }
        guard length > 0 else { return 1 }
        guard let data else { return 0 }
        session.enqueueHandshakeData(UnsafeBufferPointer(start: data, count: length), level: level)
        return 1
    }

    /// `send_alert`: QUIC carries no TLS alerts; the session turns the alert into a CONNECTION_CLOSE code
    /// `0x100 + alert` (RFC 9001 §4.8).
    static func recordAlert(_ ssl: OpaquePointer?, _ level: ssl_encryption_level_t, _ alert: UInt8) -> Int32 {
        guard let session = session(ssl) else { return 0 }
        session.recordAlert(alert)
        return 1
    }

    // MARK: - ALPN and key log

    /// Server ALPN selection by server preference (RFC 7301 §3.2). Returning ALERT_FATAL makes BoringSSL
    /// fail the handshake with no_application_protocol (120), as RFC 9001 §8.1 requires for QUIC.
    static func selectALPN(
        _ ssl: OpaquePointer?, _ out: UnsafeMutablePointer<UnsafePointer<UInt8>?>?,
        _ outLength: UnsafeMutablePointer<UInt8>?, _ offered: UnsafePointer<UInt8>?, _ offeredLength: UInt32
    ) -> Int32 {
        guard let session = session(ssl), let out, let outLength, let offered else {
            return SSL_TLSEXT_ERR_ALERT_FATAL
        }
        let list = UnsafeBufferPointer(start: offered, count: Int(offeredLength))
        for wanted in session.context.alpnProtocols {
            // Walk the client's length-prefixed list; every index is checked against the buffer.
            var index = 0
            while index < list.count {
                let length = Int(list[index])
                let start = index + 1
                guard length > 0, start + length <= list.count else { break }
                if length == wanted.count && wanted.elementsEqual(list[start..<(start + length)]) {
                    // The selected bytes must stay valid after the callback: point into the client's list.
                    out.pointee = offered + start
                    outLength.pointee = UInt8(length)
                    return SSL_TLSEXT_ERR_OK
                }
                index = start + length
            }
        }
        return SSL_TLSEXT_ERR_ALERT_FATAL
    }

    /// Appends one SSLKEYLOGFILE line; only installed when the configuration names a key-log file.
    static func logKey(_ ssl: OpaquePointer?, _ line: UnsafePointer<CChar>?) {
        guard let line, let session = session(ssl) else { return }
        session.context.keyLog?.append(line: line)
    }
}
