import Foundation

/// The role whose configuration file is looked for.
public enum ConfigRole: String, Sendable, Hashable, CaseIterable {
    case relay
    case connector
    case agent

    /// `relay.json`, `connector.json`, `agent.json`.
    public var fileName: String { "\(rawValue).json" }
}

/// Where a role's configuration comes from (DESIGN.md §5): `--config`, then `/etc/ztna/<role>.json`, then
/// `./<role>.json`, else none — running from flags only is allowed.
public enum ConfigLocator {
    public static let systemDirectory = "/etc/ztna"

    /// The file to load, or nil for flags only. An explicit `--config` path is returned even when it does
    /// not exist, so that loading it reports the missing file rather than silently falling back.
    /// `workingDirectory` defaults to the process's current directory.
    public static func find(
        role: ConfigRole, explicit: String?, systemDirectory: String = systemDirectory,
        workingDirectory: String? = nil
    ) -> String? {
        if let explicit { return explicit }
        let workingDirectory = workingDirectory ?? FileManager.default.currentDirectoryPath
        for directory in [systemDirectory, workingDirectory] {
            let path = (directory as NSString).appendingPathComponent(role.fileName)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                return path
            }
        }
        return nil
    }
}
