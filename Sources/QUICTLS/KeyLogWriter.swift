#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif
internal import Synchronization

/// Appends TLS secrets in SSLKEYLOGFILE format (RFC 9850) to a file, for decrypting captures in Wireshark.
///
/// Created only when ``TLSConfiguration/keyLogFile`` is set. The file is created with mode 0600 because
/// every line in it breaks the confidentiality of a connection.
final class KeyLogWriter: Sendable {
    // MARK: - State

    /// The open file, appended to; guarded so that lines from sessions on different threads never interleave.
    private let descriptor: Mutex<Int32>
    /// Where the lines go (for messages only).
    let path: String

    // MARK: - Creation

    /// Opens (creating if needed) `path` for appending.
    init(path: String) throws(TLSError) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw TLSError(message: "cannot open key log file '\(path)': \(String(cString: strerror(errno)))")
        }
        self.descriptor = Mutex(fd)
        self.path = path
    }

    deinit {
        descriptor.withLock { _ = close($0) }
    }

    // MARK: - Writing

    /// Writes `line` (as given by BoringSSL, without newline) followed by a newline. Failures are ignored:
    /// key logging is a debugging aid and must never break a handshake.
    func append(line: UnsafePointer<CChar>) {
        var bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(line).assumingMemoryBound(to: UInt8.self),
                                              count: strlen(line)))
        bytes.append(UInt8(ascii: "\n"))
        descriptor.withLock { fd in
            bytes.withUnsafeBytes { buffer in
                guard let base = buffer.baseAddress else { return }
                var offset = 0
                while offset < buffer.count {
                    let written = write(fd, base + offset, buffer.count - offset)
                    if written < 0 && errno == EINTR { continue }
                    guard written > 0 else { return }
                    offset += written
                }
            }
        }
    }
}
