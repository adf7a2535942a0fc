#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets: Corpus/<Target>/<name>, small files of valid encodings and
edge cases. The encodings are built here, independently of QUICWire's encoders, from RFC 9000 / RFC 9221
layouts, plus the RFC 9001 Appendix A packets from the repository's copy of the vectors.

    python3 FuzzTesting/generate_corpus.py     # rewrites FuzzTesting/Corpus (deterministic output)
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent
VECTORS = HERE.parent / "Tests" / "QUICCryptoTests" / "Resources" / "rfc9001.json"
V1 = 0x00000001


# MARK: - RFC 9000 §16 variable-length integers


def varint(value: int, length: int | None = None) -> bytes:
    """The minimal encoding, or the given length (1, 2, 4, 8) to produce non-minimal forms."""
    if length is None:
        length = 1 if value < 1 << 6 else 2 if value < 1 << 14 else 4 if value < 1 << 30 else 8
    prefix = {1: 0x00, 2: 0x40, 4: 0x80, 8: 0xC0}[length]
    assert value < 1 << (length * 8 - 2)
    encoded = value.to_bytes(length, "big")
    return bytes([encoded[0] | prefix]) + encoded[1:]


def cid(length: int, seed: int = 1) -> bytes:
    return bytes((seed + i) & 0xFF for i in range(length))


# MARK: - Packet headers (RFC 9000 §17)


def long_header(kind: int, payload: bytes, dcid: bytes = cid(8), scid: bytes = cid(8, 0x40),
                token: bytes | None = None, version: int = V1, pn_length: int = 1) -> bytes:
    """Initial (0), 0-RTT (1) or Handshake (2) with a packet number of `pn_length` bytes before `payload`."""
    first = 0xC0 | kind << 4 | (pn_length - 1)
    header = bytes([first]) + struct.pack(">I", version) + bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid
    if kind == 0:
        token = token or b""
        header += varint(len(token)) + token
    body = bytes(pn_length) + payload
    return header + varint(len(body)) + body


def short_header(dcid: bytes, payload: bytes) -> bytes:
    return bytes([0x41]) + dcid + b"\x00" + payload


def retry(token: bytes, dcid: bytes = cid(8), scid: bytes = cid(8, 0x40)) -> bytes:
    return (bytes([0xF0]) + struct.pack(">I", V1) + bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid
            + token + bytes(range(16)))


def version_negotiation(versions: list[int]) -> bytes:
    dcid, scid = cid(8), cid(8, 0x40)
    return (bytes([0x80]) + struct.pack(">I", 0) + bytes([len(dcid)]) + dcid + bytes([len(scid)]) + scid
            + b"".join(struct.pack(">I", v) for v in versions))


def padded_to_short_cid(datagram: bytes, cid_length: int) -> bytes:
    """FuzzPacketHeader reads short headers with a CID length of (input size mod 21): pad to hit `cid_length`."""
    while len(datagram) % 21 != cid_length:
        datagram += b"\x00"
    return datagram


def packet_header_corpus(vectors: dict) -> dict[str, bytes]:
    crypto = frame_crypto(0, b"\x01\x00\x00\x04abcd")
    corpus = {
        "rfc9001-client-initial": bytes.fromhex(vectors["client_initial"]["protected_packet"]),
        "rfc9001-server-initial": bytes.fromhex(vectors["server_initial"]["protected_packet"]),
        "rfc9001-retry": bytes.fromhex(vectors["retry"]["packet"]),
        "rfc9001-chacha20-short": bytes.fromhex(vectors["chacha20_short_header"]["protected_packet"]),
        "initial-no-token": long_header(0, crypto + bytes(40)),
        "initial-token": long_header(0, crypto, token=b"retry-token-" + bytes(20)),
        "initial-empty-cids": long_header(0, crypto, dcid=b"", scid=b""),
        "initial-cid-20": long_header(0, crypto, dcid=cid(20), scid=cid(20, 9)),
        "initial-pn-4": long_header(0, crypto, pn_length=4),
        "zero-rtt": long_header(1, frame_stream(0, 0, b"early", fin=True)),
        "handshake": long_header(2, crypto),
        "coalesced-initial-handshake-short": padded_to_short_cid(
            long_header(0, crypto) + long_header(2, crypto) + short_header(cid(8), b"\x01" * 20), 8),
        "short-cid-8": padded_to_short_cid(short_header(cid(8), b"\x01" * 24), 8),
        "short-cid-0": padded_to_short_cid(short_header(b"", b"\x01" * 24), 0),
        "retry-empty-token": retry(b""),
        "retry-token": retry(b"token" * 8),
        "version-negotiation": version_negotiation([V1, 0x6B3343CF, 0x1A2A3A4A]),
        # Edge cases: each must be rejected (or parsed) without trapping.
        "edge-empty": b"",
        "edge-first-byte-only": b"\xc0",
        "edge-truncated-version": b"\xc0\x00\x00",
        "edge-dcid-21": bytes([0xC0]) + struct.pack(">I", V1) + b"\x15" + cid(21) + b"\x00",
        "edge-dcid-length-past-end": bytes([0xC0]) + struct.pack(">I", V1) + b"\x14" + cid(3),
        "edge-unknown-version": long_header(0, crypto, version=0x1A2A3A4A),
        "edge-fixed-bit-zero": bytes([0x80 | 0x00]) + long_header(0, crypto)[1:],
        "edge-length-zero": long_header(2, b"")[:-2] + b"\x00",
        "edge-length-past-end": bytes([0xE0]) + struct.pack(">I", V1) + b"\x00\x00" + varint(5000, 2) + b"\x00",
        "edge-length-8-byte-varint": bytes([0xE0]) + struct.pack(">I", V1) + b"\x00\x00" + varint(2, 8) + b"\x00\x00",
        "edge-token-length-huge": bytes([0xC0]) + struct.pack(">I", V1) + b"\x00\x00" + varint((1 << 62) - 1),
        "edge-retry-short-tag": retry(b"")[:-4],
        "edge-version-negotiation-odd": version_negotiation([V1]) + b"\x01\x02",
        "edge-short-fixed-bit-zero": padded_to_short_cid(b"\x01" + cid(8) + b"\x00\x00", 8),
    }
    return corpus


# MARK: - Frames (RFC 9000 §19, RFC 9221 §4)


def frame_crypto(offset: int, data: bytes) -> bytes:
    return b"\x06" + varint(offset) + varint(len(data)) + data


def frame_stream(stream_id: int, offset: int, data: bytes, fin: bool = False, with_length: bool = True) -> bytes:
    kind = 0x08 | (0x04 if offset else 0) | (0x02 if with_length else 0) | (0x01 if fin else 0)
    out = bytes([kind]) + varint(stream_id)
    if offset:
        out += varint(offset)
    if with_length:
        out += varint(len(data))
    return out + data


def frame_ack(largest: int, delay: int, first_range: int, ranges: list[tuple[int, int]] = (),
              ecn: tuple[int, int, int] | None = None) -> bytes:
    out = bytes([0x03 if ecn else 0x02]) + varint(largest) + varint(delay) + varint(len(ranges)) + varint(first_range)
    for gap, length in ranges:
        out += varint(gap) + varint(length)
    if ecn:
        out += b"".join(varint(count) for count in ecn)
    return out


def frame_corpus(vectors: dict) -> dict[str, bytes]:
    token = bytes(range(16))
    return {
        "rfc9001-client-initial-payload": bytes.fromhex(vectors["client_initial"]["plain_payload"]),
        "rfc9001-server-initial-payload": bytes.fromhex(vectors["server_initial"]["plain_payload"]),
        "padding-run": bytes(64),
        "ping": b"\x01",
        "ack-single": frame_ack(10, 3, 2),
        "ack-ranges": frame_ack(1000, 25, 5, [(1, 10), (0, 3), (7, 100)]),
        "ack-ecn": frame_ack(50, 0, 50, [], ecn=(10, 0, 2)),
        "reset-stream": b"\x04" + varint(4) + varint(0x101) + varint(123456),
        "stop-sending": b"\x05" + varint(8) + varint(0x10),
        "crypto": frame_crypto(1200, b"\x14\x00\x00\x20" + bytes(32)),
        "new-token": b"\x07" + varint(24) + bytes(range(24)),
        "stream-08-no-length-to-end": frame_stream(0, 0, b"payload to the end", with_length=False),
        "stream-0b-length-fin": frame_stream(4, 0, b"hello", fin=True),
        "stream-0f-offset-length-fin": frame_stream(8, 1_000_000, b"world", fin=True),
        "stream-0e-empty": frame_stream(12, 77, b""),
        "max-data": b"\x10" + varint(1 << 40),
        "max-stream-data": b"\x11" + varint(4) + varint(1 << 20),
        "max-streams-bidi": b"\x12" + varint(100),
        "max-streams-uni": b"\x13" + varint(1 << 60),
        "data-blocked": b"\x14" + varint(65536),
        "stream-data-blocked": b"\x15" + varint(0) + varint(4096),
        "streams-blocked-bidi": b"\x16" + varint(10),
        "streams-blocked-uni": b"\x17" + varint(3),
        "new-connection-id": b"\x18" + varint(2) + varint(1) + b"\x08" + cid(8) + token,
        "retire-connection-id": b"\x19" + varint(1),
        "path-challenge": b"\x1a" + bytes(range(8)),
        "path-response": b"\x1b" + bytes(range(8)),
        "connection-close-transport": b"\x1c" + varint(0x0A) + varint(0x08) + varint(6) + b"reason",
        "connection-close-application": b"\x1d" + varint(0x100) + varint(0),
        "handshake-done": b"\x1e",
        "datagram-30-to-end": b"\x30" + b"datagram payload",
        "datagram-31-length": b"\x31" + varint(5) + b"dgram",
        "packet-ack-stream-padding": frame_ack(7, 1, 0) + frame_stream(0, 0, b"GET /", fin=True) + bytes(20),
        # Edge cases: each must be rejected (or parsed) without trapping.
        "edge-type-not-minimal": varint(0x01, 2),
        "edge-unknown-type": b"\x21\x00",
        "edge-ack-range-underflow": frame_ack(5, 0, 9),
        "edge-ack-gap-underflow": frame_ack(10, 0, 2, [(20, 1)]),
        "edge-stream-offset-overflow": frame_stream(0, (1 << 62) - 2, b"toolong"),
        "edge-stream-length-past-end": b"\x0a\x00" + varint(1000, 2) + b"short",
        "edge-crypto-length-huge": b"\x06\x00" + varint((1 << 62) - 1),
        "edge-max-streams-over-2-60": b"\x12" + varint((1 << 60) + 1),
        "edge-new-connection-id-length-0": b"\x18" + varint(2) + varint(1) + b"\x00" + token,
        "edge-new-connection-id-length-21": b"\x18" + varint(2) + varint(1) + b"\x15" + cid(21) + token,
        "edge-retire-prior-to-above-sequence": b"\x18" + varint(1) + varint(2) + b"\x08" + cid(8) + token,
        "edge-new-token-empty": b"\x07\x00",
        "edge-path-challenge-truncated": b"\x1a\x01\x02",
        "edge-close-reason-past-end": b"\x1c\x00\x00" + varint(500, 2) + b"x",
        "edge-varint-8-byte-max": b"\x10" + varint((1 << 62) - 1, 8),
    }


# MARK: - Connection-ID and path frames (RFC 9000 §19.15-§19.18)


def frame_new_connection_id(sequence: int, retire_prior_to: int, length: int = 8, seed: int = 1,
                            sequence_length: int | None = None) -> bytes:
    return (b"\x18" + varint(sequence, sequence_length) + varint(retire_prior_to) + bytes([length])
            + cid(length, seed) + bytes((seed * 16 + i) & 0xFF for i in range(16)))


def frame_retire_connection_id(sequence: int, length: int | None = None) -> bytes:
    return b"\x19" + varint(sequence, length)


def path_frame_corpus() -> dict[str, bytes]:
    """FuzzPathFrames maps each frame's type byte onto 0x18-0x1b by its low two bits: these encodings are real."""
    challenge = b"\x1a" + bytes(range(8))
    response = b"\x1b" + bytes(range(8))
    rotation = b"".join(frame_new_connection_id(sequence, 4, seed=sequence) for sequence in range(4, 8))
    return {
        "new-connection-id-cid-1": frame_new_connection_id(1, 0, length=1),
        "new-connection-id-cid-8": frame_new_connection_id(2, 1),
        "new-connection-id-cid-20": frame_new_connection_id(3, 3, length=20, seed=9),
        "new-connection-id-max-sequence": frame_new_connection_id((1 << 62) - 1, (1 << 62) - 1),
        "retire-connection-id": frame_retire_connection_id(0),
        "retire-connection-id-4-byte": frame_retire_connection_id(100_000),
        "path-challenge": challenge,
        "path-response": response,
        # A rotation (RFC 9000 §5.1.2): a fresh set with Retire Prior To 4, the peer's retirements, and the
        # validation of a new path with a new connection ID (§9.5).
        "rotation-set": rotation,
        "rotation-retirements": b"".join(frame_retire_connection_id(sequence) for sequence in range(4)),
        "new-path": frame_retire_connection_id(0) + challenge + response + frame_new_connection_id(8, 4, seed=8),
        # Edge cases: each must be rejected (or parsed) without trapping.
        "edge-new-connection-id-non-minimal-sequence": frame_new_connection_id(5, 0, sequence_length=8),
        "edge-new-connection-id-length-0": b"\x18\x01\x00\x00" + bytes(16),
        "edge-new-connection-id-length-21": frame_new_connection_id(1, 0, length=21),
        "edge-new-connection-id-length-255": b"\x18\x01\x00\xff" + cid(40),
        "edge-retire-prior-to-above-sequence": frame_new_connection_id(1, 2),
        "edge-new-connection-id-token-truncated": frame_new_connection_id(1, 0)[:-5],
        "edge-retire-truncated-varint": b"\x19\x80\x01",
        "edge-path-challenge-truncated": challenge[:5],
        "edge-type-bytes-only": bytes([0x18, 0x19, 0x1a, 0x1b]),
        "edge-unmapped-type-bytes": bytes([0x00, 0x05, 0x01, 0x07]) + bytes(12),
    }


# MARK: - NAT traversal and address discovery frames (draft-seemann-quic-nat-traversal-02 §4.6,
# draft-ietf-quic-address-discovery §4)

# FuzzTraversalFrames reads a selector byte per frame (modulo 7) in place of the 4-byte type.
TRAVERSAL_SELECTORS = {"add4": 0, "add6": 1, "punch4": 2, "punch6": 3, "remove": 4, "observed4": 5, "observed6": 6}


def traversal_frame(kind: str, *varints: int, address: bytes = b"", port: int = 0) -> bytes:
    body = b"".join(varint(value) for value in varints)
    if kind != "remove":
        body += address + struct.pack(">H", port)
    return bytes([TRAVERSAL_SELECTORS[kind]]) + body


def traversal_frame_corpus() -> dict[str, bytes]:
    v4 = bytes([192, 0, 2, 1])
    v6 = bytes.fromhex("20010db8000000000000000000000001")
    return {
        "add-address-ipv4": traversal_frame("add4", 0, address=v4, port=4433),
        "add-address-ipv6": traversal_frame("add6", 7, address=v6, port=443),
        "punch-me-now-ipv4": traversal_frame("punch4", 1, 0, address=bytes([198, 51, 100, 7]), port=50000),
        "punch-me-now-ipv6": traversal_frame("punch6", 64, 2, address=v6, port=1),
        "remove-address": traversal_frame("remove", 3),
        "observed-address-ipv4": traversal_frame("observed4", 0, address=bytes([203, 0, 113, 9]), port=4433),
        "observed-address-ipv6": traversal_frame("observed6", 1 << 30, address=v6, port=65535),
        "round": b"".join(traversal_frame("punch4", 5, sequence, address=v4, port=1000 + sequence)
                          for sequence in range(4)),
        "advertise-and-withdraw": traversal_frame("add4", 0, address=v4, port=4433)
                                  + traversal_frame("add6", 1, address=v6, port=4433) + traversal_frame("remove", 0),
        "max-varints": traversal_frame("punch6", (1 << 62) - 1, (1 << 62) - 1, address=v6, port=9),
        # Edge cases: each must be rejected (or parsed) without trapping.
        "edge-ipv6-truncated": traversal_frame("add6", 0, address=v6[:9]),
        "edge-port-truncated": traversal_frame("observed4", 0, address=v4, port=1)[:-1],
        "edge-remove-no-sequence": bytes([TRAVERSAL_SELECTORS["remove"]]),
        "edge-non-minimal-sequence": bytes([0]) + varint(5, 8) + v4 + b"\x11\x51",
        "edge-selector-bytes-only": bytes(range(7)),
    }


# MARK: - Transport parameters (RFC 9000 §18, RFC 9221 §3)


def parameter(identifier: int, value: bytes) -> bytes:
    return varint(identifier) + varint(len(value)) + value


def integer(identifier: int, value: int) -> bytes:
    return parameter(identifier, varint(value))


def preferred_address() -> bytes:
    """RFC 9000 §18.2, Figure 22."""
    return (bytes([192, 0, 2, 1]) + struct.pack(">H", 4433) + bytes(16) + struct.pack(">H", 0)
            + b"\x08" + cid(8) + bytes(range(16)))


def client_transport_parameters() -> bytes:
    return (integer(0x01, 30_000) + integer(0x03, 1452) + integer(0x04, 1 << 20) + integer(0x05, 1 << 18)
            + integer(0x06, 1 << 18) + integer(0x07, 1 << 18) + integer(0x08, 100) + integer(0x09, 100)
            + integer(0x0E, 8) + parameter(0x0F, cid(8)) + integer(0x20, 65535))


def tls_extension(data: bytes, extension_type: int) -> bytes | None:
    """The body of extension `extension_type` in the ClientHello at the start of a CRYPTO frame's data."""
    if data[0] != 1:
        return None
    position = 4 + 2 + 32  # handshake header, legacy_version, random
    position += 1 + data[position]  # legacy_session_id
    position += 2 + int.from_bytes(data[position:position + 2], "big")  # cipher_suites
    position += 1 + data[position]  # legacy_compression_methods
    end = position + 2 + int.from_bytes(data[position:position + 2], "big")
    position += 2
    while position + 4 <= end:
        kind = int.from_bytes(data[position:position + 2], "big")
        length = int.from_bytes(data[position + 2:position + 4], "big")
        if kind == extension_type:
            return data[position + 4:position + 4 + length]
        position += 4 + length
    return None


def rfc9001_client_transport_parameters(vectors: dict) -> bytes:
    payload = bytes.fromhex(vectors["client_initial"]["plain_payload"])
    assert payload[0] == 0x06  # CRYPTO, offset 0, 2-byte length
    length = int.from_bytes(payload[2:4], "big") & 0x3FFF
    parameters = tls_extension(payload[4:4 + length], 0x39)  # quic_transport_parameters
    assert parameters is not None
    return parameters


def transport_parameter_corpus(vectors: dict) -> dict[str, bytes]:
    server = (client_transport_parameters() + parameter(0x00, cid(8, 0x80)) + parameter(0x02, bytes(range(16)))
              + parameter(0x10, cid(8, 0x90)) + parameter(0x0D, preferred_address()) + parameter(0x0C, b"")
              + integer(0x0A, 20) + integer(0x0B, (1 << 14) - 1))
    return {
        "rfc9001-client-initial": rfc9001_client_transport_parameters(vectors),
        "client": client_transport_parameters(),
        "server-all": server,
        "empty": b"",
        "datagram-only": integer(0x20, 1200),
        "grease-reserved-id": parameter(31 * 5 + 27, b"grease") + integer(0x04, 1000),
        "unknown-id": parameter(0x4A4A, b"\x01\x02\x03") + integer(0x01, 5),
        "ids-8-byte-varint": varint(0x04, 8) + varint(1) + varint(7),
        "disable-active-migration": parameter(0x0C, b""),
        # Edge cases: each must be rejected (or parsed) without trapping.
        "edge-duplicate": integer(0x04, 1) + integer(0x04, 2),
        "edge-ack-delay-exponent-21": integer(0x0A, 21),
        "edge-max-ack-delay-2-14": integer(0x0B, 1 << 14),
        "edge-max-udp-payload-1199": integer(0x03, 1199),
        "edge-active-cid-limit-1": integer(0x0E, 1),
        "edge-max-streams-over-2-60": integer(0x08, (1 << 60) + 1),
        "edge-server-only-from-client": parameter(0x00, cid(8)),
        "edge-reset-token-15-bytes": parameter(0x02, bytes(15)),
        "edge-cid-21-bytes": parameter(0x0F, cid(21)),
        "edge-preferred-address-short": parameter(0x0D, preferred_address()[:30]),
        "edge-preferred-address-cid-length-lies": parameter(0x0D, preferred_address()[:24] + b"\x14" + cid(8)),
        "edge-value-past-end": varint(0x04) + varint(8) + b"\x01",
        "edge-length-huge": varint(0x04) + varint((1 << 62) - 1),
        "edge-integer-trailing-bytes": parameter(0x04, varint(5) + b"\x00"),
        "edge-disable-migration-nonempty": parameter(0x0C, b"\x00"),
        "edge-truncated-id": b"\x40",
        # draft-seemann-quic-nat-traversal-02 §4.5 and draft-ietf-quic-address-discovery §3.
        "nat-traversal-client": parameter(0x3D7E9F0BCA12FEA6, b""),
        "nat-traversal-server": integer(0x3D7E9F0BCA12FEA6, 8),
        "address-discovery-both": integer(0x9F81A176, 2),
        "edge-nat-traversal-zero": integer(0x3D7E9F0BCA12FEA6, 0),
        "edge-nat-traversal-trailing": parameter(0x3D7E9F0BCA12FEA6, varint(8) + b"\x00"),
        "edge-address-discovery-3": integer(0x9F81A176, 3),
    }


# MARK: - Writing


def main() -> None:
    vectors = json.loads(VECTORS.read_text())
    corpora = {
        "FuzzPacketHeader": packet_header_corpus(vectors),
        "FuzzFrames": frame_corpus(vectors),
        "FuzzTransportParameters": transport_parameter_corpus(vectors),
        "FuzzPathFrames": path_frame_corpus(),
        "FuzzTraversalFrames": traversal_frame_corpus(),
    }
    root = HERE / "Corpus"
    for target, corpus in corpora.items():
        directory = root / target
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        for name, data in sorted(corpus.items()):
            (directory / name).write_bytes(data)
        print(f"{target}: {len(corpus)} files")


if __name__ == "__main__":
    main()
