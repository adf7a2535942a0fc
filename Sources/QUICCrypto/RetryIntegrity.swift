import Crypto
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

// MARK: - RetryIntegrity

/// RFC 9001 §5.8 Retry integrity tag for QUIC v1 (AES-128-GCM, fixed key 0xbe0c690b9f66575a1d766b54e368c84e,
/// nonce 0x461599d35d632bf2239825bb), AAD = pseudo-packet (ODCID length + ODCID + retry packet without tag).
public enum RetryIntegrity {
    /// Length of the Retry Integrity Tag that ends every Retry packet (RFC 9000 §17.2.5).
    public static let tagLength = 16

    /// RFC 9001 §5.8: the fixed QUIC v1 key.
    static let keyBytes: [UInt8] = [
        0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a, 0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68, 0xc8, 0x4e,
    ]
    static let key = SymmetricKey(data: keyBytes)
    /// RFC 9001 §5.8: the fixed QUIC v1 nonce.
    static let nonceBytes: [UInt8] = [0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63, 0x2b, 0xf2, 0x23, 0x98, 0x25, 0xbb]

    /// The largest connection ID QUIC v1 allows (RFC 9000 §17.2).
    static let maximumConnectionIDLength = 20

    // MARK: - Tag

    /// The 16-byte Retry Integrity Tag for a Retry packet (everything before the tag) sent in answer to a
    /// client whose first Initial carried `originalDestinationConnectionID`.
    ///
    /// QUIC v1 connection IDs are at most 20 bytes (RFC 9000 §17.2) and the wire parser drops packets with
    /// longer ones. The ID is peer-chosen, so a longer one is not trapped on: a tag is still computed, but
    /// `verify` never accepts it.
    public static func tag(retryPacketWithoutTag: [UInt8], originalDestinationConnectionID: [UInt8]) -> [UInt8] {
        let pseudo = pseudoPacket(retryWithoutTag: retryPacketWithoutTag[...],
                                  originalDestinationConnectionID: originalDestinationConnectionID)
        do {
            // RFC 9001 §5.8: the tag is the output of AEAD_AES_128_GCM over an empty plaintext.
            let box = try AES.GCM.seal([UInt8](), using: key, nonce: AES.GCM.Nonce(data: nonceBytes),
                                       authenticating: pseudo)
            return [UInt8](box.tag)
        } catch {
            // Only a wrong key or nonce size can fail, and both are the fixed constants above.
            preconditionFailure("AES-GCM with the RFC 9001 §5.8 constants failed: \(error)")
        }
    }

    // MARK: - Verification

    /// Whether the Retry packet's last 16 bytes are the correct integrity tag (RFC 9001 §5.8). A client
    /// MUST discard a Retry that fails this check (RFC 9000 §17.2.5.2). Total on peer input.
    public static func verify(retryPacket: [UInt8], originalDestinationConnectionID: [UInt8]) -> Bool {
        guard retryPacket.count > tagLength,
              originalDestinationConnectionID.count <= maximumConnectionIDLength else { return false }
        let tagStart = retryPacket.count - tagLength
        let pseudo = pseudoPacket(retryWithoutTag: retryPacket[..<tagStart],
                                  originalDestinationConnectionID: originalDestinationConnectionID)
        do {
            // Opening an empty ciphertext checks the tag in constant time inside BoringSSL.
            let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: nonceBytes), ciphertext: [UInt8](),
                                            tag: retryPacket[tagStart...])
            _ = try AES.GCM.open(box, using: key, authenticating: pseudo)
            return true
        } catch {
            return false
        }
    }

    // MARK: - Internals

    /// RFC 9001 §5.8 Retry Pseudo-Packet: ODCID Length (8) || ODCID || the Retry packet without its tag.
    static func pseudoPacket(retryWithoutTag: ArraySlice<UInt8>, originalDestinationConnectionID odcid: [UInt8]) -> [UInt8] {
        var pseudo: [UInt8] = []
        pseudo.reserveCapacity(1 + odcid.count + retryWithoutTag.count)
        pseudo.append(UInt8(truncatingIfNeeded: odcid.count))
        pseudo.append(contentsOf: odcid)
        pseudo.append(contentsOf: retryWithoutTag)
        return pseudo
    }
}
