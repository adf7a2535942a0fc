// libFuzzer target: the frames of a decrypted packet payload (RFC 9000 §12.4, §19; RFC 9221 §4), parsed one
// after another as the connection does. Parsing must never trap, must always make progress, and every frame
// that parses must survive encode → parse unchanged (so what we send is what we understood).

import CLibFuzzer
import Glibc
import QUICWire

/// Hands the process to libFuzzer, which calls `LLVMFuzzerTestOneInput` per input.
@main
enum FuzzFramesMain {
    static func main() {
        exit(clibfuzzer_run_driver(CommandLine.argc, CommandLine.unsafeArgv, fuzzFrames))
    }
}

/// libFuzzer calls this once per input; a trap (or a failed precondition below) is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrames(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let payload = Array(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
    var reader = ByteReader(payload)
    while !reader.isAtEnd {
        let start = reader.position
        guard let frame = try? Frame.parse(from: &reader) else { break }
        precondition(reader.position > start, "a parsed frame consumed no bytes")
        for kind in PacketKind.allCases {
            _ = frame.isAllowed(in: kind)
        }
        checkRoundTrip(frame)
    }
    return 0
}

/// encode(frame) parses back to the same frame, consuming exactly the encoding.
private func checkRoundTrip(_ frame: Frame) {
    var encoded: [UInt8] = []
    frame.encode(into: &encoded)
    var reader = ByteReader(encoded)
    guard let reparsed = try? Frame.parse(from: &reader) else {
        preconditionFailure("the encoding of a parsed frame does not parse: \(frame)")
    }
    precondition(reparsed == frame, "encode → parse changed the frame: \(frame) became \(reparsed)")
    precondition(reader.isAtEnd, "the encoding of \(frame) has trailing bytes")
}
