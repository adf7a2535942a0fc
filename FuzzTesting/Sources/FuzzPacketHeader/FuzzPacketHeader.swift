// libFuzzer target: packet headers (RFC 9000 §17, RFC 8999) as a server or client receives them — every
// packet of a datagram, coalesced ones included (RFC 9000 §12.2). Parsing must never trap, and a header
// that parses must describe a packet that lies inside the datagram and moves the walk forward.

import CLibFuzzer
import Glibc
import QUICWire

/// Hands the process to libFuzzer, which calls `LLVMFuzzerTestOneInput` per input.
@main
enum FuzzPacketHeaderMain {
    static func main() {
        exit(clibfuzzer_run_driver(CommandLine.argc, CommandLine.unsafeArgv, fuzzPacketHeader))
    }
}

/// libFuzzer calls this once per input; a trap (or a failed precondition below) is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPacketHeader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let datagram = Array(UnsafeBufferPointer(start: data, count: data == nil ? 0 : size))
    // Short headers carry no connection ID length; derive one (0...20) from the input so all are explored.
    let shortConnectionIDLength = datagram.count % (ConnectionID.maxLength + 1)

    _ = PacketHeader.peekVersion(datagram: datagram)
    _ = PacketHeader.peekLongHeaderInvariants(datagram: datagram)
    let routed = PacketHeader.peekDestinationConnectionID(
        datagram: datagram, shortHeaderConnectionIDLength: shortConnectionIDLength
    )

    var offset = 0
    while offset < datagram.count {
        guard let header = try? PacketHeader.parse(
            datagram: datagram, at: offset, shortHeaderConnectionIDLength: shortConnectionIDLength
        ) else { break }
        check(header, startingAt: offset, in: datagram)
        if offset == 0, let routed {
            // The routing shortcut and the full parser must agree on the first packet's DCID.
            precondition(routed == header.destinationConnectionID, "peekDestinationConnectionID disagrees with parse")
        }
        offset = header.packetEnd
    }
    return 0
}

/// The offsets a parsed header hands to the crypto layer must be usable without further checks.
private func check(_ header: PacketHeader, startingAt offset: Int, in datagram: [UInt8]) {
    precondition(header.packetStart == offset, "packetStart is not where parsing started")
    precondition(header.packetNumberOffset > offset, "packet number offset inside the first byte")
    precondition(header.packetNumberOffset <= header.packetEnd, "packet number offset past the packet end")
    precondition(header.packetEnd <= datagram.count, "packet end past the datagram")
    precondition(header.packetEnd > offset, "a packet of zero bytes would stall the coalesced walk")
    precondition(header.destinationConnectionID.count <= ConnectionID.maxLength, "connection ID over 20 bytes")
    precondition(header.sourceConnectionID.count <= ConnectionID.maxLength, "connection ID over 20 bytes")
    switch header.form {
    case .initial, .zeroRTT, .handshake:
        // RFC 9000 §17.2: a protected long-header packet has at least one packet number byte.
        precondition(header.packetNumberOffset < header.packetEnd, "protected packet without packet number")
    case .short:
        precondition(header.packetEnd == datagram.count, "a short header packet runs to the datagram's end")
        precondition(header.packetNumberOffset < header.packetEnd, "short header without packet number")
    case .retry(_, let tag):
        precondition(tag.count == 16, "Retry Integrity Tag is not 16 bytes (RFC 9001 §5.8)")
    case .versionNegotiation:
        break
    }
}
