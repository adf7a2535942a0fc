// MARK: - PacketProtector

/// Seals and opens packets in place. The caller owns the packet layout:
///  [packetStart ..< packetNumberOffset) header, [pnOffset ..< pnOffset+pnLength) packet number,
///  then payload. Long vs short header is read from bit 0x80 of the first byte (RFC 9001 §5.4.1 masks
///  0x0f for long, 0x1f for short).
///
/// Receiving is two steps because the full packet number is needed for the nonce, and decoding it from
/// the truncated one (RFC 9000 §17.1, Appendix A.3) is the connection's job:
///
///     let (pnLength, truncated) = try protector.removeHeaderProtection(packet: &bytes, packetStart: s,
///                                                                      packetNumberOffset: pnOffset, packetEnd: e)
///     let pn = decodePacketNumber(largest: largestAcked, truncated: truncated, length: pnLength)
///     let payload = try protector.open(packet: bytes, packetStart: s, payloadOffset: pnOffset + pnLength,
///                                      packetEnd: e, packetNumber: pn)
public struct PacketProtector: Sendable {
    /// The keys this protector uses.
    public let keys: PacketProtectionKeys

    /// Creates a protector for one direction, encryption level and key phase.
    public init(keys: PacketProtectionKeys) {
        self.keys = keys
    }

    // MARK: - Layout constants

    /// Bytes the AEAD tag adds after the payload (RFC 9001 §5.3).
    public static let tagLength = CipherSuite.tagLength
    /// RFC 9001 §5.4.2: the header-protection sample starts this many bytes after the packet-number offset.
    public static let sampleOffset = HeaderProtection.sampleOffset
    /// RFC 9001 §5.4.2: the header-protection sample is this long.
    public static let sampleLength = HeaderProtection.sampleLength
    /// The largest packet number the nonce construction accepts: packet numbers are 62-bit (RFC 9000 §12.3).
    public static let maximumPacketNumber: UInt64 = (1 << 62) - 1

    /// RFC 9001 §5.4.2: the smallest plaintext payload that leaves room for the header-protection sample,
    /// i.e. packet number + payload must be at least 4 bytes. Senders pad (e.g. PADDING frames) up to this.
    public static func minimumPayloadLength(packetNumberLength: Int) -> Int {
        max(0, sampleOffset - packetNumberLength)
    }

    // MARK: - Sending

    /// `packet[packetStart...]` holds header + packet number + plaintext payload (through the end of the
    /// array). Encrypts the payload (AAD = header incl. unprotected packet number; nonce = iv XOR pn, RFC 9001
    /// §5.3), appends the 16-byte tag, then applies header protection (§5.4). The header's Length field
    /// must already account for the tag (the caller wrote it).
    ///
    /// The array grows by 16 bytes: reserve capacity beforehand to avoid a reallocation. On error the
    /// packet is left unchanged (the AEAD, which encrypts in place, fails only on lengths checked before).
    ///
    /// - Throws: `.packetTooShort` when packet number + payload is under 4 bytes (§5.4.2);
    ///   `.internalFailure` when the offsets, the packet-number length (which must match the low two bits
    ///   of the first byte) or the packet number (62 bits at most) are inconsistent.
    public func seal(packet: inout [UInt8], packetStart: Int, packetNumberOffset: Int, packetNumberLength: Int,
                     packetNumber: UInt64) throws(QUICCryptoError) {
        let pnOffset = packetNumberOffset
        guard (1...4).contains(packetNumberLength) else {
            throw .internalFailure("packet number length \(packetNumberLength) is not 1...4")
        }
        guard packetStart >= 0, packetStart < pnOffset, packet.count - pnOffset >= packetNumberLength else {
            throw .internalFailure("inconsistent packet offsets")
        }
        guard Int(packet[packetStart] & 0x03) + 1 == packetNumberLength else {
            // RFC 9000 §17.2, §17.3.1: the low two bits of the first byte encode the length minus one.
            throw .internalFailure("first byte does not encode packet number length \(packetNumberLength)")
        }
        guard packetNumber <= Self.maximumPacketNumber else {
            throw .internalFailure("packet number exceeds 2^62-1")
        }
        let payloadOffset = pnOffset + packetNumberLength
        guard packet.count - payloadOffset >= Self.minimumPayloadLength(packetNumberLength: packetNumberLength) else {
            throw .packetTooShort
        }

        // RFC 9001 §5.3: AAD is the header up to and including the unprotected packet number. The payload is
        // encrypted in place and the tag written into 16 bytes appended for it.
        let textEnd = packet.count
        packet.append(contentsOf: Self.zeroTag)
        let sealed = packet.withUnsafeMutableBytes { raw in
            Result { () throws(QUICCryptoError) in
                try keys.aead.seal(UnsafeMutableRawBufferPointer(rebasing: raw[payloadOffset..<textEnd]),
                                   tag: UnsafeMutableRawBufferPointer(rebasing: raw[textEnd...]),
                                   aad: UnsafeRawBufferPointer(rebasing: raw[packetStart..<payloadOffset]),
                                   packetNumber: packetNumber)
            }
        }
        if case .failure(let error) = sealed {
            packet.removeLast(Self.tagLength)
            throw error
        }
        // RFC 9001 §5.4.2: the sample starts 4 bytes after the packet number's start; it may run into the tag
        // (short payloads), which is in place now.
        let sampleStart = pnOffset + Self.sampleOffset
        let mask = packet.withUnsafeBytes { raw in
            keys.headerProtection.mask(
                sample: UnsafeRawBufferPointer(rebasing: raw[sampleStart..<sampleStart + Self.sampleLength]))
        }
        applyMask(mask, to: &packet, packetStart: packetStart, packetNumberOffset: pnOffset,
                  packetNumberLength: packetNumberLength)
    }

    private static let zeroTag = [UInt8](repeating: 0, count: tagLength)

    // MARK: - Receiving

    /// Removes header protection in place for the packet spanning packetStart..<packetEnd, returning the
    /// packet number length (1...4) and truncated packet number it read.
    ///
    /// Total on peer input: nothing is read outside `packet[packetStart..<packetEnd]` and the packet is left
    /// unchanged when this throws.
    ///
    /// - Throws: `.packetTooShort` when `packetEnd` lies beyond the array or the 16-byte sample starting
    ///   at `packetNumberOffset + 4` does not fit before `packetEnd` (RFC 9001 §5.4.2);
    ///   `.internalFailure` when `packetStart`/`packetNumberOffset` are inconsistent.
    public func removeHeaderProtection(packet: inout [UInt8], packetStart: Int, packetNumberOffset: Int,
                                       packetEnd: Int) throws(QUICCryptoError) -> (length: Int, truncated: UInt64) {
        let pnOffset = packetNumberOffset
        guard packetStart >= 0, packetStart < pnOffset else {
            throw .internalFailure("inconsistent packet offsets")
        }
        // `packetEnd >= pnOffset` first so the subtraction cannot overflow whatever the caller passed.
        guard packetEnd <= packet.count, packetEnd >= pnOffset,
              packetEnd - pnOffset >= Self.sampleOffset + Self.sampleLength else {
            throw .packetTooShort
        }
        let sampleStart = pnOffset + Self.sampleOffset
        let mask = packet.withUnsafeBytes { raw in
            keys.headerProtection.mask(
                sample: UnsafeRawBufferPointer(rebasing: raw[sampleStart..<sampleStart + Self.sampleLength]))
        }

        let first = packet[packetStart] ^ (mask.first & Self.firstByteMask(packet[packetStart]))
        packet[packetStart] = first
        // RFC 9000 §17.2, §17.3.1: the low two bits (now unprotected) give the length minus one.
        let length = Int(first & 0x03) + 1
        var truncated: UInt64 = 0
        for index in 0..<length {
            let byte = packet[pnOffset + index] ^ mask.packetNumberByte(index)
            packet[pnOffset + index] = byte
            truncated = truncated << 8 | UInt64(byte)
        }
        return (length, truncated)
    }

    /// After header protection was removed and the full packet number decoded: decrypts the payload
    /// [pnOffset+pnLength ..< packetEnd-16] authenticated by the tag and returns the plaintext.
    ///
    /// - Throws: `.authenticationFailed` when the tag does not verify (drop the packet, RFC 9001 §5.5);
    ///   `.packetTooShort` when fewer than 16 bytes follow `payloadOffset` or `packetEnd` lies beyond the
    ///   array; `.internalFailure` for inconsistent offsets or a packet number above 2^62-1.
    public func open(packet: [UInt8], packetStart: Int, payloadOffset: Int, packetEnd: Int,
                     packetNumber: UInt64) throws(QUICCryptoError) -> [UInt8] {
        guard packetStart >= 0, packetStart < payloadOffset else {
            throw .internalFailure("inconsistent packet offsets")
        }
        guard packetNumber <= Self.maximumPacketNumber else {
            throw .internalFailure("packet number exceeds 2^62-1")
        }
        guard packetEnd <= packet.count, packetEnd >= payloadOffset, packetEnd - payloadOffset >= Self.tagLength else {
            throw .packetTooShort
        }
        let tagStart = packetEnd - Self.tagLength
        let length = tagStart - payloadOffset
        var opened = true
        // Capacity of at least 1, so that an empty payload still has an address to decrypt into: its tag must
        // verify all the same.
        let plaintext = [UInt8](unsafeUninitializedCapacity: max(length, 1)) { output, count in
            count = length
            packet.withUnsafeBytes { raw in
                do {
                    try keys.aead.open(UnsafeRawBufferPointer(rebasing: raw[payloadOffset..<tagStart]),
                                       into: UnsafeMutableRawBufferPointer(UnsafeMutableBufferPointer(rebasing: output[0..<length])),
                                       tag: UnsafeRawBufferPointer(rebasing: raw[tagStart..<packetEnd]),
                                       aad: UnsafeRawBufferPointer(rebasing: raw[packetStart..<payloadOffset]),
                                       packetNumber: packetNumber)
                } catch {
                    // BoringSSL zero-fills the output on failure, so every byte is initialised either way.
                    opened = false
                }
            }
        }
        guard opened else { throw .authenticationFailed }
        return plaintext
    }

    // MARK: - Header protection internals

    /// RFC 9001 §5.4.1: long headers protect the low 4 bits of the first byte, short headers the low 5.
    @inline(__always)
    static func firstByteMask(_ firstByte: UInt8) -> UInt8 {
        firstByte & 0x80 != 0 ? 0x0f : 0x1f
    }

    /// Applies header protection (RFC 9001 §5.4.1) to a sealed packet.
    private func applyMask(_ mask: HeaderProtectionMask, to packet: inout [UInt8], packetStart: Int,
                           packetNumberOffset: Int, packetNumberLength: Int) {
        packet[packetStart] ^= mask.first & Self.firstByteMask(packet[packetStart])
        for index in 0..<packetNumberLength {
            packet[packetNumberOffset + index] ^= mask.packetNumberByte(index)
        }
    }
}
