#if os(Linux)
import Glibc

// MARK: - A child process with its output captured (posix_spawn; no Foundation)

/// Runs a program found in PATH with stdout and stderr merged into one nonblocking pipe. Used by
/// `IPRoute` (synchronously) and by tests that run a peer inside a network namespace (polled).
final class TUNSubprocess {
    let pid: pid_t
    private var outputDescriptor: Int32
    private(set) var output: [UInt8] = []
    private(set) var exitStatus: Int32?

    /// Starts `arguments[0]` (looked up in PATH) with the remaining arguments.
    init(_ arguments: [String]) throws(IPRouteError) {
        guard let program = arguments.first else { throw IPRouteError(arguments: arguments, status: -1, output: "empty") }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else {
            throw IPRouteError(arguments: arguments, status: -1, output: "pipe: errno \(errno)")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawnp(&child, program, &actions, nil, argv, environ)
        Glibc.close(fds[1])
        guard rc == 0 else {
            Glibc.close(fds[0])
            throw IPRouteError(arguments: arguments, status: -1, output: "posix_spawnp: \(String(cString: strerror(rc)))")
        }
        // Our end must not leak into later children (a grandchild holding it would delay EOF).
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        pid = child
        outputDescriptor = fds[0]
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            _ = waitUntilExit()
        }
        if outputDescriptor >= 0 { Glibc.close(outputDescriptor) }
    }

    /// Collects output that is ready and reaps the child if it has exited; true once it has.
    @discardableResult
    func poll() -> Bool {
        drainOutput()
        if exitStatus != nil { return true }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid {
            exitStatus = Self.decode(status)
            drainOutput()
            return true
        }
        return false
    }

    /// Blocks until the child exits; returns its exit status (128 + signal when killed).
    func waitUntilExit() -> Int32 {
        if let exitStatus { return exitStatus }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        exitStatus = Self.decode(status)
        // The pipe's write end is closed now (unless a grandchild holds it): read to EOF without blocking.
        drainOutput()
        return exitStatus ?? -1
    }

    /// Sends SIGKILL (test cleanup).
    func terminate() {
        if exitStatus == nil { kill(pid, SIGKILL) }
    }

    var outputText: String { String(decoding: output, as: UTF8.self) }

    private func drainOutput() {
        guard outputDescriptor >= 0 else { return }
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(outputDescriptor, $0.baseAddress, $0.count) }
            if n > 0 { output += chunk[0..<n]; continue }
            if n < 0 && errno == EINTR { continue }
            if n == 0 { Glibc.close(outputDescriptor); outputDescriptor = -1 }
            return
        }
    }

    private static func decode(_ status: Int32) -> Int32 {
        // WIFEXITED / WEXITSTATUS / WTERMSIG by hand (they are macros).
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }
}
#endif
