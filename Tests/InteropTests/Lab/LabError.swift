// The error of a lab step (set-up, a daemon that did not start, a client that could not run).

/// A lab step that did not work, with what it saw.
struct LabError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}
