import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// File access for certificates, keys and lists: reads with errors that name the file, and writes that
/// set the mode explicitly (keys 0600, certificates 0644 — independent of the umask) and never replace an
/// existing file unless forced.
enum CredentialFiles {
    /// One file to write.
    struct Entry {
        var path: String
        var contents: String
        var mode: mode_t
    }

    static let privateKeyMode: mode_t = 0o600
    static let certificateMode: mode_t = 0o644

    // MARK: - Reading

    static func readText(_ path: String) throws(IdentityError) -> String {
        guard FileManager.default.fileExists(atPath: path) else {
            throw IdentityError(.fileNotFound, "\(path): no such file")
        }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            return String(decoding: data, as: UTF8.self)
        } catch {
            throw IdentityError(.fileIO, "\(path): cannot read: \(error.localizedDescription)")
        }
    }

    // MARK: - Writing

    /// Writes every entry, creating `directory` (0755) when missing. Refuses before writing anything when
    /// any target exists and `force` is false, so a refused run leaves no partial set behind.
    static func write(_ entries: [Entry], in directory: String, force: Bool) throws(IdentityError) {
        try ensureDirectory(directory)
        if !force {
            for entry in entries where FileManager.default.fileExists(atPath: entry.path) {
                throw IdentityError(.fileExists, "\(entry.path) already exists (use --force to overwrite)")
            }
        }
        for entry in entries { try write(entry, force: force) }
    }

    private static func ensureDirectory(_ directory: String) throws(IdentityError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw IdentityError(.fileIO, "\(directory): exists and is not a directory")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        } catch {
            throw IdentityError(.fileIO, "\(directory): cannot create directory: \(error.localizedDescription)")
        }
    }

    private static func write(_ entry: Entry, force: Bool) throws(IdentityError) {
        // O_EXCL makes "refuse to overwrite" atomic; with --force, O_TRUNC reuses the file and fchmod below
        // tightens a pre-existing looser mode (the mode argument of open applies only on creation).
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL)
        let fd = open(entry.path, flags, entry.mode)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            if errno == EEXIST {
                throw IdentityError(.fileExists, "\(entry.path) already exists (use --force to overwrite)")
            }
            throw IdentityError(.fileIO, "\(entry.path): cannot create: \(reason)")
        }
        defer { close(fd) }
        guard fchmod(fd, entry.mode) == 0 else {
            throw IdentityError(.fileIO, "\(entry.path): cannot set mode: \(String(cString: strerror(errno)))")
        }
        let bytes = Array(entry.contents.utf8)
        var written = 0
        while written < bytes.count {
            let result = bytes[written...].withUnsafeBytes { raw in
                posixWrite(fd, raw.baseAddress, raw.count)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw IdentityError(.fileIO, "\(entry.path): write failed: \(String(cString: strerror(errno)))")
            }
            written += result
        }
    }
}

/// `write(2)`, named apart from the `write` methods above.
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(fd, buffer, count)
}
