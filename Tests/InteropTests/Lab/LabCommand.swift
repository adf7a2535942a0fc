// Short synchronous commands of the lab's own set-up and clean-up (`ip netns add/del/pids`, `ip -n … link`):
// each finishes in milliseconds, and the clean-up must also work from `deinit`, where nothing can be awaited.
// A watchdog bounds every one of them.

import Dispatch
import Foundation
import Glibc

/// Runs one short command to completion.
enum LabCommand {
    /// How a command ended, with its combined stdout and stderr.
    struct Result: Sendable {
        let status: Int32
        let output: String
        var succeeded: Bool { status == 0 }
    }

    /// Runs `executable arguments…` (stdin /dev/null), killed after `timeoutSeconds`; nil when it cannot start.
    static func run(_ executable: URL, _ arguments: [String], timeoutSeconds: Int = 20) -> Result? {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let pipe = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return nil }
        let pid = process.processIdentifier
        let watchdog = DispatchWorkItem { _ = kill(pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + .seconds(timeoutSeconds), execute: watchdog)
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        watchdog.cancel()
        return Result(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self))
    }

    /// Runs `executable arguments…` and throws with its output unless it exits 0.
    @discardableResult
    static func check(_ executable: URL, _ arguments: [String], timeoutSeconds: Int = 20) throws -> String {
        let commandLine = ([executable.path] + arguments).joined(separator: " ")
        guard let result = run(executable, arguments, timeoutSeconds: timeoutSeconds) else {
            throw LabError("cannot start \(commandLine)")
        }
        guard result.succeeded else {
            throw LabError("\(commandLine) failed (status \(result.status)): \(result.output)")
        }
        return result.output
    }
}
