import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What the relay benchmark must undo however it ends: relay child processes to stop and temporary PKI
/// directories to delete. The normal paths undo their own entries (`defer`); this registry covers SIGINT and
/// SIGTERM, which would otherwise leave a relay running and private keys on disk.
public enum RelayBenchCleanup {
    private struct Entries {
        var children: Set<Int32> = []
        var directories: Set<String> = []
    }

    private static let entries = Mutex(Entries())
    /// Kept alive for the process's lifetime; written once, by `installSignalHandlers()`, before any child
    /// starts, and never read (dispatch sources are not `Sendable`, hence no lock).
    nonisolated(unsafe) private static var signalSources: [any DispatchSourceSignal] = []

    static func add(child pid: Int32) { entries.withLock { _ = $0.children.insert(pid) } }
    static func remove(child pid: Int32) { entries.withLock { _ = $0.children.remove(pid) } }
    static func add(directory: String) { entries.withLock { _ = $0.directories.insert(directory) } }
    static func remove(directory: String) { entries.withLock { _ = $0.directories.remove(directory) } }

    /// On SIGINT or SIGTERM: kills every registered child, deletes every registered directory, and exits
    /// with 128 + the signal number. Call once, before the first child starts.
    public static func installSignalHandlers() {
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGINT, SIGTERM] {
            // The default action (terminate at once) must be off for the dispatch source to see the signal.
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                cleanUpNow()
                exit(128 + signalNumber)
            }
            source.resume()
            sources.append(source)
        }
        signalSources = sources
    }

    /// Kills the children (SIGKILL: the run is being abandoned, no drain) and removes the directories.
    static func cleanUpNow() {
        let (children, directories) = entries.withLock { entries in
            defer {
                entries.children = []
                entries.directories = []
            }
            return (entries.children, entries.directories)
        }
        for pid in children { kill(pid, SIGKILL) }
        for directory in directories { try? FileManager.default.removeItem(atPath: directory) }
    }
}
