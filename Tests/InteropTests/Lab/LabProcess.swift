// A long-running process of the lab (a daemon or a backend) inside one namespace, watched so that a test can
// ask "is it still the same, still running process?" without blocking — the restart tests assert that the
// agent and the connector survived a relay restart untouched.

import Dispatch
import Glibc
import Synchronization

/// A background process started by `NamespaceLab.start`, with its exit observed as soon as it happens.
final class LabProcess: Sendable {
    /// A short name for failure messages (`relay`, `connector`, `agent`, `http backend`, …).
    let name: String
    let child: ChildProcess
    private let ended = Mutex<ChildProcess.Exit?>(nil)

    init(name: String, child: ChildProcess) {
        self.name = name
        self.child = child
        Task { [weak self, child] in
            let exit = await child.exit()
            self?.ended.withLock { $0 = exit }
        }
    }

    // MARK: - State

    /// The exit, once the process ended (nil while it runs).
    var exitIfEnded: ChildProcess.Exit? { ended.withLock { $0 } }

    var hasExited: Bool { exitIfEnded != nil }

    /// What it wrote to stderr so far (the daemons log there).
    var stderrSoFar: String { child.stderrSoFar }

    /// A one-paragraph summary for failure messages: state and the tail of stderr.
    var diagnostics: String {
        let state = exitIfEnded.map { "exited (status \($0.status)\($0.signalled ? ", signal" : ""))" } ?? "running"
        let log = stderrSoFar.split(separator: "\n").suffix(25).joined(separator: "\n")
        return "\(name): \(state)\n\(log)"
    }

    // MARK: - Control

    /// The first stdout line starting with `prefix`; nil when stdout ended without one — also when none came
    /// within `seconds`: then the process is killed, so that a daemon that hangs before it is ready cannot hang
    /// the test.
    func firstLine(startingWith prefix: String, withinSeconds seconds: Int = 30) async -> String? {
        let answered = Flag()
        let watchdog = DispatchWorkItem { [child] in
            if !answered.isSet { child.send(signal: SIGKILL) }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(seconds), execute: watchdog)
        let line = await child.firstLine(startingWith: prefix)
        answered.set()
        watchdog.cancel()
        return line
    }

    /// SIGTERM, SIGKILL five seconds later if still running; waits for the end.
    @discardableResult
    func stop() async -> ChildProcess.Exit {
        await child.stop()
    }

    /// A one-way flag shared with a watchdog closure.
    private final class Flag: Sendable {
        private let value = Mutex(false)
        var isSet: Bool { value.withLock { $0 } }
        func set() { value.withLock { $0 = true } }
    }
}
