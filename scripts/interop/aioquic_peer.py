#!/usr/bin/env python3
"""The foreign QUIC peer of the interop tests (DESIGN.md §11.5): aioquic as an echo server or as a client.

    aioquic_peer.py server --port P --alpn A --cert F --key F [--ca F] [--require-client-cert] [--retry]
    aioquic_peer.py client HOST:PORT --alpn A [--ca F] [--server-name N] [--cert F --key F]
                    [--ciphers aes128|aes256|chacha20] [--datagrams N --size S] [--stream-bytes N] [--timeout S]
                    [--key-update] [--change-cid] [--rebind]

The client honours the same contract as `ztna quic client`, so the tests use both interchangeably: it prints
ONE line of JSON
    {"ok", "handshakeMs", "alpn", "cipher", "group", "datagramsSent", "datagramsEchoed",
     "streamBytesSent", "streamBytesEchoed", "error"}
(plus, reported only by this client: "retried", whether a Retry packet was acted upon; "cidChanges", how many
times it moved to a new Destination Connection ID with --change-cid; "spareConnectionIDs", how many unused
connection IDs of the server it holds after the exchange) and exits 0 only
when the whole exchange was verified: the handshake is confirmed by a PING round trip, the
stream echo is byte-exact and complete, and every DATAGRAM came back unchanged (at least 95 % when more than
100 were sent: DATAGRAM frames are unreliable, RFC 9221 §5).

The server binds 127.0.0.1 only, prints `listening on 127.0.0.1:PORT` once ready and runs until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import signal
import socket
import ssl
import struct
import sys
import time

from aioquic import tls
from aioquic.buffer import Buffer
from aioquic.asyncio import QuicConnectionProtocol, serve
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.connection import QuicConnection
from aioquic.quic.events import (
    ConnectionTerminated,
    DatagramFrameReceived,
    HandshakeCompleted,
    QuicEvent,
    StreamDataReceived,
)

# RFC 9221 §3: the largest DATAGRAM frame we accept; large enough for any UDP payload on loopback.
MAX_DATAGRAM_FRAME_SIZE = 65536

# How long the client waits for the next echoed DATAGRAM before counting the missing ones as lost.
DATAGRAM_QUIET_SECONDS = 3.0

CIPHERS = {
    "aes128": tls.CipherSuite.AES_128_GCM_SHA256,  # 0x1301
    "aes256": tls.CipherSuite.AES_256_GCM_SHA384,  # 0x1302
    "chacha20": tls.CipherSuite.CHACHA20_POLY1305_SHA256,  # 0x1303
}


# MARK: - Payload patterns (shared knowledge with `ztna quic client`: only the echo matters, not the bytes)


def stream_pattern(length: int) -> bytes:
    """Deterministic, non-repeating-per-256 bytes so that a shifted or reordered echo is detected."""
    return bytes((i * 7 + (i >> 8)) & 0xFF for i in range(length))


def datagram_payload(sequence: int, size: int) -> bytes:
    """A 4-byte big-endian sequence number followed by a pattern that depends on it."""
    head = struct.pack(">I", sequence)[:size]
    return head + bytes((sequence + i) & 0xFF for i in range(max(0, size - 4)))


# MARK: - Server


class AlertCertificateRequired(tls.Alert):
    """RFC 8446 §6.2: a server that requires a client certificate and gets none sends certificate_required."""

    description = tls.AlertDescription.certificate_required


def require_client_certificate(connection: QuicConnection, cafile: str) -> None:
    """Make the server side of `connection` demand and verify a client certificate.

    aioquic 1.7.2's server never sends a CertificateRequest (`tls.Context._request_client_certificate` is
    "for test purposes only") and, when a client does present a certificate, checks only the
    CertificateVerify signature, never the chain; an empty client Certificate is accepted (RFC 8446
    §4.4.2.4 allows that). So once the TLS context exists we request a certificate, reject an empty one
    with certificate_required, and verify the chain against `cafile` after the signature check. An alert
    raised here becomes CONNECTION_CLOSE with CRYPTO_ERROR 0x100 + alert (RFC 9001 §4.8) before the
    handshake completes, so the client never receives HANDSHAKE_DONE.
    """
    initialize = connection._initialize

    def initialize_with_client_authentication(peer_cid: bytes) -> None:
        initialize(peer_cid)
        context = connection.tls
        context._request_client_certificate = True
        handle_certificate = context._server_handle_certificate
        handle_certificate_verify = context._server_handle_certificate_verify

        def server_handle_certificate(input_buf) -> None:
            handle_certificate(input_buf)
            if context._peer_certificate is None:
                raise AlertCertificateRequired("client certificate required")

        def server_handle_certificate_verify(input_buf) -> None:
            handle_certificate_verify(input_buf)
            tls.verify_certificate(
                certificate=context._peer_certificate,
                chain=context._peer_certificate_chain,
                cafile=cafile,
            )

        context._server_handle_certificate = server_handle_certificate
        context._server_handle_certificate_verify = server_handle_certificate_verify

    connection._initialize = initialize_with_client_authentication


class EchoServerProtocol(QuicConnectionProtocol):
    """Echoes bidirectional streams on the same stream (FIN after the peer's FIN), unidirectional streams on
    a stream of our own, and every DATAGRAM frame."""

    def __init__(self, *args, client_cafile: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._uni_replies: dict[int, int] = {}
        if client_cafile is not None:
            require_client_certificate(self._quic, client_cafile)

    def quic_event_received(self, event: QuicEvent) -> None:
        if isinstance(event, StreamDataReceived):
            self._quic.send_stream_data(self._reply_stream(event.stream_id), event.data, event.end_stream)
        elif isinstance(event, DatagramFrameReceived):
            self._quic.send_datagram_frame(event.data)

    def _reply_stream(self, stream_id: int) -> int:
        # RFC 9000 §2.1: bit 0x2 marks a unidirectional stream, which we cannot write back on.
        if stream_id & 0x2 == 0:
            return stream_id
        if stream_id not in self._uni_replies:
            self._uni_replies[stream_id] = self._quic.get_next_available_stream_id(is_unidirectional=True)
        return self._uni_replies[stream_id]


async def run_server(args: argparse.Namespace) -> int:
    configuration = QuicConfiguration(
        is_client=False,
        alpn_protocols=[args.alpn],
        max_datagram_frame_size=MAX_DATAGRAM_FRAME_SIZE,
    )
    configuration.load_cert_chain(args.cert, args.key)
    if args.ca is not None:
        configuration.load_verify_locations(cafile=args.ca)
    client_cafile = args.ca if args.require_client_cert else None

    def create_protocol(*protocol_args, **protocol_kwargs) -> EchoServerProtocol:
        return EchoServerProtocol(*protocol_args, client_cafile=client_cafile, **protocol_kwargs)

    server = await serve(
        "127.0.0.1", args.port, configuration=configuration, create_protocol=create_protocol, retry=args.retry
    )
    port = server._transport.get_extra_info("sockname")[1]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # A spawner may hand us a blocked signal mask (a test runner's worker thread does); SIGTERM must arrive.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    print(f"listening on 127.0.0.1:{port}", flush=True)
    await stop.wait()
    server.close()
    return 0


# MARK: - Client


class CheckingClientProtocol(QuicConnectionProtocol):
    """Records what comes back: the echoed stream (checked byte by byte) and the echoed DATAGRAMs."""

    def __init__(self, *args, report: dict, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Counters are written into the report as echoes arrive, so a timeout still reports the progress.
        self.report = report
        self.handshake_completed_at: float | None = None
        self.alpn: str | None = None
        self.group: str | None = None
        self.stream_id: int | None = None
        self.stream_expected = b""
        self.stream_echoed = 0
        self.stream_error: str | None = None
        self.stream_done = asyncio.Event()
        self.datagrams_sent: dict[int, bytes] = {}
        self.datagrams_echoed: set[int] = set()
        self.datagram_error: str | None = None
        self.datagram_arrived = asyncio.Event()
        self.close_error: str | None = None
        # --change-cid: switch to a new connection ID once half of the echo is back (stream bytes, else DATAGRAMs).
        self.change_cid_halfway = False
        self.halfway_stream_bytes = 0
        self.halfway_datagrams = 0
        self._record_group()

    def _record_group(self) -> None:
        """The key-exchange group is only visible in the ServerHello; note it as the client handles it."""
        initialize = self._quic._initialize

        def initialize_recording_group(peer_cid: bytes) -> None:
            initialize(peer_cid)
            context = self._quic.tls
            handle_hello = context._client_handle_hello

            def client_handle_hello(input_buf, output_buf) -> None:
                handle_hello(input_buf, output_buf)
                hello = tls.pull_server_hello(Buffer(data=input_buf.data))
                if hello.key_share is not None:
                    group = hello.key_share[0]
                    try:
                        self.group = tls.Group(group).name.lower()
                    except ValueError:
                        self.group = f"0x{group:04x}"

            context._client_handle_hello = client_handle_hello

        self._quic._initialize = initialize_recording_group

    def quic_event_received(self, event: QuicEvent) -> None:
        if isinstance(event, HandshakeCompleted):
            self.handshake_completed_at = time.monotonic()
            self.alpn = event.alpn_protocol
        elif isinstance(event, StreamDataReceived) and event.stream_id == self.stream_id:
            self._check_stream(event.data, event.end_stream)
        elif isinstance(event, DatagramFrameReceived):
            self._check_datagram(event.data)
        elif isinstance(event, ConnectionTerminated):
            self.close_error = (
                f"connection closed: error 0x{event.error_code:x}"
                f" frame 0x{(event.frame_type or 0):x} {event.reason_phrase!r}"
            )
            self.stream_done.set()
            self.datagram_arrived.set()

    def _check_stream(self, data: bytes, end_stream: bool) -> None:
        expected = self.stream_expected[self.stream_echoed : self.stream_echoed + len(data)]
        if data != expected and self.stream_error is None:
            self.stream_error = f"stream echo differs at or after byte {self.stream_echoed}"
        self.stream_echoed += len(data)
        self.report["streamBytesEchoed"] = self.stream_echoed
        if self.halfway_stream_bytes and self.stream_echoed >= self.halfway_stream_bytes:
            self._change_cid_halfway()
        if end_stream:
            self.stream_done.set()

    def _check_datagram(self, data: bytes) -> None:
        sequence = struct.unpack(">I", data[:4])[0] if len(data) >= 4 else -1
        if self.datagrams_sent.get(sequence) != data:
            self.datagram_error = f"echoed DATAGRAM of {len(data)} bytes matches nothing sent"
        else:
            self.datagrams_echoed.add(sequence)
            self.report["datagramsEchoed"] = len(self.datagrams_echoed)
            if self.halfway_datagrams and len(self.datagrams_echoed) >= self.halfway_datagrams:
                self._change_cid_halfway()
        self.datagram_arrived.set()

    def change_cid(self) -> None:
        """RFC 9000 §5.1.2: move to the next connection ID the server issued and retire the one in use; counted
        in the report only when the Destination Connection ID really changed."""
        before = self._quic._peer_cid.sequence_number
        self._quic.change_connection_id()
        if self._quic._peer_cid.sequence_number != before:
            self.report["cidChanges"] += 1
        self.transmit()

    def _change_cid_halfway(self) -> None:
        if self.change_cid_halfway:
            self.change_cid_halfway = False
            self.change_cid()


class ReboundSocket(asyncio.DatagramProtocol):
    """The client's new socket after a simulated NAT rebinding: what arrives goes to the same connection."""

    def __init__(self, target: CheckingClientProtocol) -> None:
        self.target = target

    def datagram_received(self, data: bytes, addr) -> None:
        self.target.datagram_received(data, addr)


async def rebind(protocol: CheckingClientProtocol, local: str, report: dict) -> None:
    """A NAT rebinding as the server sees it (RFC 9000 §9.3): the connection's packets suddenly come from a
    new source port and the old one is gone. aioquic itself is not told: its next packets simply leave from a
    new socket, and the server must follow, validate the new path and keep the exchange going."""
    loop = asyncio.get_running_loop()
    old = protocol._transport
    transport, _ = await loop.create_datagram_endpoint(lambda: ReboundSocket(protocol), local_addr=(local, 0))
    protocol._transport = transport
    old.close()
    report["rebinds"] += 1
    report["localPorts"].append(transport.get_extra_info("sockname")[1])
    # A PING makes the server see the new address at once, whatever the exchange is doing.
    protocol._quic.send_ping(0)
    protocol.transmit()


async def wait_until_halfway(protocol: CheckingClientProtocol, args: argparse.Namespace) -> None:
    while protocol.close_error is None:
        if args.stream_bytes > 0 and protocol.stream_echoed >= (args.stream_bytes + 1) // 2:
            return
        if args.stream_bytes == 0 and len(protocol.datagrams_echoed) >= (args.datagrams + 1) // 2:
            return
        await asyncio.sleep(0.002)


def client_configuration(args: argparse.Namespace, host: str) -> QuicConfiguration:
    configuration = QuicConfiguration(
        is_client=True,
        alpn_protocols=[args.alpn],
        max_datagram_frame_size=MAX_DATAGRAM_FRAME_SIZE,
        server_name=args.server_name or host,
        verify_mode=ssl.CERT_REQUIRED,
    )
    # Without --ca, aioquic verifies against certifi's roots (the "system roots" of this peer).
    if args.ca is not None:
        configuration.load_verify_locations(cafile=args.ca)
    if args.cert is not None:
        configuration.load_cert_chain(args.cert, args.key)
    if args.ciphers is not None:
        configuration.cipher_suites = [CIPHERS[args.ciphers]]
    return configuration


async def wait_for_datagrams(protocol: CheckingClientProtocol, count: int) -> None:
    """Waits until every DATAGRAM is back, or until none arrived for DATAGRAM_QUIET_SECONDS: DATAGRAM frames
    are never retransmitted (RFC 9221 §5), so after such a pause the missing ones are lost, not late."""
    while len(protocol.datagrams_echoed) < count and protocol.close_error is None:
        protocol.datagram_arrived.clear()
        try:
            await asyncio.wait_for(protocol.datagram_arrived.wait(), DATAGRAM_QUIET_SECONDS)
        except asyncio.TimeoutError:
            return


async def exchange(args: argparse.Namespace, report: dict) -> None:
    """Connects, then sends the stream and the DATAGRAMs; fills `report` as facts become known."""
    host, port = parse_address(args.address)
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    family, address = infos[0][0], infos[0][4]
    # Stay on the loopback interface when the server is there (the tests), else use any address.
    loopback = ipaddress.ip_address(address[0]).is_loopback
    if family == socket.AF_INET:
        local = "127.0.0.1" if loopback else "0.0.0.0"
    else:
        local = "::1" if loopback else "::"
    connection = QuicConnection(configuration=client_configuration(args, host))
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: CheckingClientProtocol(connection, report=report), local_addr=(local, 0)
    )
    try:
        started = time.monotonic()
        protocol.connect(address)
        await protocol.wait_connected()
        report["handshakeMs"] = round((protocol.handshake_completed_at - started) * 1000, 3)
        report["alpn"] = protocol.alpn
        # The IANA name (RFC 8446 §B.4), as `ztna quic client` prints it.
        report["cipher"] = "TLS_" + tls.CipherSuite(connection.tls.key_schedule.cipher_suite).name
        report["group"] = protocol.group
        report["retried"] = connection._retry_count > 0  # RFC 9000 §17.2.5.2: at most one Retry is used
        report["localPorts"].append(transport.get_extra_info("sockname")[1])
        # RFC 9001 §4.1.2: our Finished may still be rejected (e.g. a missing client certificate); an
        # acknowledged 1-RTT PING proves the server completed the handshake too.
        await protocol.ping()
        if args.key_update:
            # RFC 9001 §6: the exchange below runs under the next 1-RTT keys; the echo proves the peer followed.
            connection.request_key_update()
            report["keyUpdates"] = 1
        if args.change_cid:
            # The exchange starts on a new connection ID and switches again half-way through its echo.
            protocol.change_cid()
            protocol.change_cid_halfway = True
            protocol.halfway_stream_bytes = (args.stream_bytes + 1) // 2
            protocol.halfway_datagrams = 0 if args.stream_bytes > 0 else (args.datagrams + 1) // 2

        if args.stream_bytes > 0:
            protocol.stream_id = connection.get_next_available_stream_id()
            protocol.stream_expected = stream_pattern(args.stream_bytes)
            connection.send_stream_data(protocol.stream_id, protocol.stream_expected, end_stream=True)
            report["streamBytesSent"] = args.stream_bytes
        for sequence in range(args.datagrams):
            payload = datagram_payload(sequence, args.size)
            protocol.datagrams_sent[sequence] = payload
            connection.send_datagram_frame(payload)
        report["datagramsSent"] = args.datagrams
        protocol.transmit()

        if args.rebind:
            # --rebind: the source port changes once half of the echo is back (and the old socket is closed).
            await wait_until_halfway(protocol, args)
            await rebind(protocol, local, report)
        if args.stream_bytes > 0:
            await protocol.stream_done.wait()
        if args.datagrams > 0:
            await wait_for_datagrams(protocol, args.datagrams)
        # RFC 9000 §5.1.1: a server that replaces retired IDs leaves the client its full set of spares.
        report["spareConnectionIDs"] = len(connection._peer_cid_available)
        report["error"] = protocol.close_error or protocol.stream_error or protocol.datagram_error
        if report["error"] is None:
            report["error"] = verdict(report, args)
        report["ok"] = report["error"] is None
        protocol.close()
        await protocol.wait_closed()
    except ConnectionError:
        report["error"] = protocol.close_error or "connection failed"
    finally:
        transport.close()


def verdict(report: dict, args: argparse.Namespace) -> str | None:
    if report["streamBytesEchoed"] != args.stream_bytes:
        return f"stream echo has {report['streamBytesEchoed']} of {args.stream_bytes} bytes"
    needed = args.datagrams if args.datagrams <= 100 else (args.datagrams * 95 + 99) // 100
    if report["datagramsEchoed"] < needed:
        return f"{report['datagramsEchoed']} of {args.datagrams} DATAGRAMs echoed (needed {needed})"
    if args.rebind and report["rebinds"] != 1:
        return "the rebinding did not happen"
    if args.change_cid and report["cidChanges"] != 2:
        return f"{report['cidChanges']} of 2 connection ID changes took effect (the server issued too few IDs?)"
    return None


async def run_client(args: argparse.Namespace) -> int:
    report = {
        "ok": False, "handshakeMs": None, "alpn": None, "cipher": None, "group": None,
        "datagramsSent": 0, "datagramsEchoed": 0, "streamBytesSent": 0, "streamBytesEchoed": 0, "keyUpdates": 0, "error": None,
        "retried": False, "cidChanges": 0, "spareConnectionIDs": None, "rebinds": 0, "localPorts": [],
    }
    try:
        await asyncio.wait_for(exchange(args, report), args.timeout)
    except asyncio.TimeoutError:
        report["ok"] = False
        report["error"] = f"timed out after {args.timeout} s"
    except (OSError, ValueError, tls.Alert) as exc:
        report["ok"] = False
        report["error"] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(report), flush=True)
    return 0 if report["ok"] else 1


# MARK: - Command line


def parse_address(text: str) -> tuple[str, int]:
    """HOST:PORT, with [v6]:PORT for IPv6 literals."""
    host, separator, port = text.rpartition(":")
    if not separator or not port.isdigit():
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


def arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="aioquic interop peer for the ztna test suite")
    commands = parser.add_subparsers(dest="command", required=True)

    server = commands.add_parser("server", help="echo server on 127.0.0.1")
    server.add_argument("--port", type=int, required=True)
    server.add_argument("--alpn", required=True)
    server.add_argument("--cert", required=True)
    server.add_argument("--key", required=True)
    server.add_argument("--ca", help="CA that client certificates must chain to")
    server.add_argument("--require-client-cert", action="store_true")
    server.add_argument("--retry", action="store_true", help="validate addresses with Retry (RFC 9000 §8.1.2)")

    client = commands.add_parser("client", help="connect, exchange, verify, print one JSON line")
    client.add_argument("address", metavar="HOST:PORT")
    client.add_argument("--alpn", required=True)
    client.add_argument("--ca")
    client.add_argument("--server-name")
    client.add_argument("--cert")
    client.add_argument("--key")
    client.add_argument("--ciphers", choices=sorted(CIPHERS))
    client.add_argument("--datagrams", type=int, default=0)
    client.add_argument("--size", type=int, default=1000)
    client.add_argument("--stream-bytes", type=int, default=0)
    client.add_argument("--timeout", type=float, default=10.0)
    client.add_argument("--key-update", action="store_true", help="start a 1-RTT key update before the exchange")
    client.add_argument("--rebind", action="store_true",
                        help="change the source port (new socket, old one closed) once half of the echo is back")
    client.add_argument("--change-cid", action="store_true",
                        help="switch to a new connection ID after the handshake and again half-way (RFC 9000 §5.1.2)")

    args = parser.parse_args(argv)
    if args.command == "server" and args.require_client_cert and args.ca is None:
        parser.error("--require-client-cert needs --ca")
    if args.command == "client":
        if (args.cert is None) != (args.key is None):
            parser.error("--cert and --key go together")
        if args.datagrams < 0 or args.stream_bytes < 0 or not 4 <= args.size <= MAX_DATAGRAM_FRAME_SIZE - 16:
            parser.error("--datagrams and --stream-bytes must be >= 0, --size between 4 and 65520")
    return args


def main(argv: list[str]) -> int:
    args = arguments(argv)
    runner = run_server if args.command == "server" else run_client
    return asyncio.run(runner(args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
