// libFuzzer target: the quic_transport_parameters TLS extension (RFC 9000 §7.4, §18; RFC 9221 §3) as sent by
// either role. Decoding must never trap, and parameters that decode must survive encode → decode unchanged.

import CLibFuzzer
import Glibc
import QUICWire

/// Hands the process to libFuzzer, which calls `LLVMFuzzerTestOneInput` per input.
@main
enum FuzzTransportParametersMain {
    static func main() {
        exit(clibfuzzer_run_driver(CommandLine.argc, CommandLine.unsafeArgv, fuzzTransportParameters))
    }
}

/// libFuzzer calls this once per input; a trap (or a failed precondition below) is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTransportParameters(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
    for sender in [EndpointRole.client, .server] {
        guard let parameters = try? TransportParameters.decode(bytes, sentBy: sender) else { continue }
        let encoded = parameters.encode()
        guard let decoded = try? TransportParameters.decode(encoded, sentBy: sender) else {
            preconditionFailure("the encoding of decoded parameters does not decode (sent by \(sender))")
        }
        precondition(decoded == parameters, "encode → decode changed the parameters (sent by \(sender))")
    }
    return 0
}
