// A child process of an interop run — an aioquic peer or the `ztna` binary — with its output collected and
// its lifetime bounded by a watchdog, so that a hung peer fails its test instead of hanging the suite.

import Dispatch
import Foundation
import Glibc
import Synchronization

/// One running child process. Its watchdog kills it `timeoutSeconds` after launch at the latest.
final class ChildProcess: Sendable {
    /// How a child process ended, with everything it wrote.
    struct Exit: Sendable {
        /// The exit status, or the signal number when `signalled`.
        let status: Int32
        let signalled: Bool
        /// The watchdog killed the process.
        let timedOut: Bool
        let stdout: String
        let stderr: String

        var succeeded: Bool { !signalled && status == 0 }
    }

    /// The command as a shell would show it, for failure messages.
    let commandLine: String
    private let state: Mutex<State>

    // MARK: - Launch

    /// Starts `executable` with `arguments`; stdin is /dev/null, stdout and stderr are collected.
    init(executable: URL, arguments: [String], timeoutSeconds: Int) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONUNBUFFERED"] = "1"  // the peer's `listening on` line must not sit in a buffer
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        commandLine = ([executable.path] + arguments).joined(separator: " ")
        state = Mutex(State(process: process))
        process.terminationHandler = { [weak self] ended in
            self?.recordExit(status: ended.terminationStatus, signalled: ended.terminationReason == .uncaughtSignal)
        }
        try Self.withSignalsUnblocked { try process.run() }
        state.withLock { $0.processIdentifier = process.processIdentifier }
        Self.startReader(stdout, into: .stdout, of: self)
        Self.startReader(stderr, into: .stderr, of: self)
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(timeoutSeconds)) { [weak self] in
            self?.signal(SIGKILL, markingTimeout: true)
        }
    }

    /// A safety net: a child must never outlive the test that started it.
    deinit {
        signal(SIGKILL, markingTimeout: false)
    }

    // MARK: - Waiting

    /// The first stdout line that starts with `prefix`, or nil when stdout ended (the process exited or was
    /// killed by its watchdog) without one.
    func firstLine(startingWith prefix: String) async -> String? {
        await withCheckedContinuation { continuation in
            let resolved: String?? = state.withLock { state in
                if let line = state.stdoutLines().first(where: { $0.hasPrefix(prefix) }) { return .some(String(line)) }
                if state.stdoutClosed { return .some(nil) }
                state.lineWaiters.append((prefix, continuation))
                return nil
            }
            if let resolved { continuation.resume(returning: resolved) }
        }
    }

    /// Waits until the process exited and both of its output streams reached end-of-file.
    func exit() async -> Exit {
        await withCheckedContinuation { continuation in
            let exit: Exit? = state.withLock { state in
                if let exit = state.completedExit() { return exit }
                state.exitWaiters.append(continuation)
                return nil
            }
            if let exit { continuation.resume(returning: exit) }
        }
    }

    /// Asks the process to stop (SIGTERM), kills it (SIGKILL) when it is still running five seconds later,
    /// and waits for it to end.
    @discardableResult
    func stop() async -> Exit {
        signal(SIGTERM, markingTimeout: false)
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(5)) { [weak self] in
            self?.signal(SIGKILL, markingTimeout: false)
        }
        return await exit()
    }

    /// Sends `signal` (SIGHUP for a reload) unless the process already ended.
    func send(signal number: Int32) {
        signal(number, markingTimeout: false)
    }

    /// What the process wrote to stderr so far.
    var stderrSoFar: String {
        state.withLock { String(decoding: $0.stderr, as: UTF8.self) }
    }

    // MARK: - Private

    private enum Stream: Sendable { case stdout, stderr }

    /// Everything mutable, behind one lock: collected output, the exit, and who waits for what.
    private struct State {
        /// Kept alive until the process ended.
        var process: Process?
        var processIdentifier: pid_t = 0
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var stdoutClosed = false
        var stderrClosed = false
        var status: (code: Int32, signalled: Bool)?
        var timedOut = false
        var lineWaiters: [(prefix: String, continuation: CheckedContinuation<String?, Never>)] = []
        var exitWaiters: [CheckedContinuation<Exit, Never>] = []

        init(process: Process) { self.process = process }

        func stdoutLines() -> [Substring] {
            String(decoding: stdout, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
                .map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
        }

        func completedExit() -> Exit? {
            guard let status, stdoutClosed, stderrClosed else { return nil }
            return Exit(status: status.code, signalled: status.signalled, timedOut: timedOut,
                        stdout: String(decoding: stdout, as: UTF8.self),
                        stderr: String(decoding: stderr, as: UTF8.self))
        }

        /// Removes and returns the line waiters that can be answered now, with their answers.
        mutating func answerableLineWaiters() -> [(CheckedContinuation<String?, Never>, String?)] {
            guard !lineWaiters.isEmpty else { return [] }
            let lines = stdoutLines()
            var answered: [(CheckedContinuation<String?, Never>, String?)] = []
            lineWaiters.removeAll { waiter in
                if let line = lines.first(where: { $0.hasPrefix(waiter.prefix) }) {
                    answered.append((waiter.continuation, String(line)))
                    return true
                }
                if stdoutClosed {
                    answered.append((waiter.continuation, nil))
                    return true
                }
                return false
            }
            return answered
        }

        mutating func takeExitWaiters() -> ([CheckedContinuation<Exit, Never>], Exit)? {
            guard let exit = completedExit(), !exitWaiters.isEmpty else { return nil }
            defer { exitWaiters.removeAll() }
            return (exitWaiters, exit)
        }
    }

    /// Runs `body` (the spawn) with an empty signal mask on this thread. A child inherits the spawning
    /// thread's mask, and the test runner's worker threads block nearly every signal: a child spawned from
    /// one would never see the SIGTERM that asks it to stop gracefully.
    private static func withSignalsUnblocked<R>(_ body: () throws -> R) rethrows -> R {
        var none = sigset_t()
        var previous = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        return try body()
    }

    /// Output beyond this is dropped: the tests need the first lines, and memory must stay bounded.
    private static let outputLimit = 1 << 20

    /// A dedicated thread per stream: blocking `read(2)` until end-of-file, so no output is ever lost.
    private static func startReader(_ pipe: Pipe, into stream: Stream, of child: ChildProcess) {
        let descriptor = pipe.fileHandleForReading.fileDescriptor
        let thread = Thread { [weak child] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { break }
                child?.append(buffer[0..<count], to: stream)
            }
            child?.close(stream)
            withExtendedLifetime(pipe) {}
        }
        thread.start()
    }

    private func append(_ bytes: ArraySlice<UInt8>, to stream: Stream) {
        let answered = state.withLock { state in
            switch stream {
            case .stdout:
                if state.stdout.count < Self.outputLimit { state.stdout.append(contentsOf: bytes) }
                return state.answerableLineWaiters()
            case .stderr:
                if state.stderr.count < Self.outputLimit { state.stderr.append(contentsOf: bytes) }
                return []
            }
        }
        for (continuation, line) in answered { continuation.resume(returning: line) }
    }

    private func close(_ stream: Stream) {
        let (answered, exits) = state.withLock { state in
            switch stream {
            case .stdout: state.stdoutClosed = true
            case .stderr: state.stderrClosed = true
            }
            return (state.answerableLineWaiters(), state.takeExitWaiters())
        }
        for (continuation, line) in answered { continuation.resume(returning: line) }
        if let (waiters, exit) = exits { for waiter in waiters { waiter.resume(returning: exit) } }
    }

    private func recordExit(status: Int32, signalled: Bool) {
        let exits = state.withLock { state in
            state.status = (status, signalled)
            state.process = nil
            return state.takeExitWaiters()
        }
        if let (waiters, exit) = exits { for waiter in waiters { waiter.resume(returning: exit) } }
    }

    /// Signals the process unless it already ended (its pid may then belong to someone else).
    private func signal(_ signal: Int32, markingTimeout: Bool) {
        state.withLock { state in
            guard state.status == nil, state.processIdentifier > 0 else { return }
            if markingTimeout { state.timedOut = true }
            _ = kill(state.processIdentifier, signal)
        }
    }
}
