import Foundation

/// DESIGN.md §7: "Key files must not be world-readable (refuse to start otherwise)". We refuse group
/// access too (`mode & 0o077 != 0`), as ssh does for private keys.
public enum KeyFilePolicy {
    /// Throws when `path` is missing or its permission bits grant anything to group or others. Symbolic
    /// links are followed (Kubernetes mounts secrets through them; the target's mode is what counts —
    /// set `defaultMode: 0400` on the secret volume).
    public static func check(path: String) throws(IdentityError) {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard FileManager.default.fileExists(atPath: target) else {
            throw IdentityError(.fileNotFound, "private key \(path): no such file")
        }
        let mode: Int
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: target)
            mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o777
        } catch {
            throw IdentityError(.fileIO, "private key \(path): \(error.localizedDescription)")
        }
        let permissions = UInt32(truncatingIfNeeded: mode) & 0o777
        guard permissions & 0o077 == 0 else {
            throw IdentityError(
                .insecureKeyFile,
                "private key \(path) has mode \(octal(permissions)): readable by group or others; run chmod 600 \(path)"
            )
        }
    }

    /// `0644`-style rendering.
    static func octal(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return "0" + String(repeating: "0", count: max(0, 3 - digits.count)) + digits
    }
}
