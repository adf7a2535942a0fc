#!/usr/bin/env python3
"""A foreign relay client (DESIGN.md §3, written from the spec alone): aioquic registers as an agent.

    aioquic_relay_client.py HOST:PORT --ca F --cert F --key F [--server-name N] --register-agent ID [...]
                            [--timeout S]

It connects with ALPN ztna-v1 and DATAGRAM support (RFC 9221), then:
  - waits for OBSERVED_ADDRESS (0x01: 7-byte IPv4 or 19-byte IPv6 form) — its own address as the relay sees it;
  - sends REGISTER (0x10 len id) for each --register-agent id, resending on the schedule of §3 (500 ms, doubling,
    capped at 5 s) until REGISTER_ACK (0x12 00 len id) or REGISTER_NACK (0x13 reason len id) arrives;
  - collects SERVICE_STATUS (0x15 state len id) messages.
It prints ONE line of JSON:
    {"ok", "observedAddress", "acks": [ids], "nacks": {id: reason}, "status": {id: 0|1}, "unknown": n, "error"}
and exits 0 when an OBSERVED_ADDRESS arrived and every registration was answered (ACK or NACK).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import socket
import ssl
import struct
import sys

from aioquic.asyncio import QuicConnectionProtocol
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.connection import QuicConnection
from aioquic.quic.events import ConnectionTerminated, DatagramFrameReceived, HandshakeCompleted, QuicEvent

ALPN = "ztna-v1"
MAX_DATAGRAM_FRAME_SIZE = 65536

OBSERVED_ADDRESS = 0x01
REGISTER_AGENT = 0x10
REGISTER_ACK = 0x12
REGISTER_NACK = 0x13
SERVICE_STATUS = 0x15


class RelayClientProtocol(QuicConnectionProtocol):
    def __init__(self, *args, report: dict, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.report = report
        self.answered: set[str] = set()
        self.changed = asyncio.Event()
        self.close_error: str | None = None

    def quic_event_received(self, event: QuicEvent) -> None:
        if isinstance(event, DatagramFrameReceived):
            self.handle_message(event.data)
            self.changed.set()
        elif isinstance(event, ConnectionTerminated):
            self.close_error = f"connection closed: error 0x{event.error_code:x} {event.reason_phrase!r}"
            self.changed.set()

    def handle_message(self, data: bytes) -> None:
        if not data:
            self.report["unknown"] += 1
            return
        kind = data[0]
        if kind == OBSERVED_ADDRESS and len(data) in (7, 19):
            raw, port = data[1:-2], struct.unpack(">H", data[-2:])[0]
            address = ipaddress.ip_address(raw)
            self.report["observedAddress"] = f"{address}:{port}" if address.version == 4 else f"[{address}]:{port}"
        elif kind == REGISTER_ACK and len(data) >= 3 and data[1] == 0 and len(data) == 3 + data[2]:
            service = data[3:].decode()
            self.report["acks"].append(service)
            self.answered.add(service)
        elif kind == REGISTER_NACK and len(data) >= 3 and len(data) == 3 + data[2]:
            service = data[3:].decode(errors="replace")
            self.report["nacks"][service] = data[1]
            self.answered.add(service)
        elif kind == SERVICE_STATUS and len(data) >= 3 and len(data) == 3 + data[2]:
            self.report["status"][data[3:].decode()] = data[1]
        else:
            self.report["unknown"] += 1


def register_message(service: str) -> bytes:
    encoded = service.encode()
    return bytes([REGISTER_AGENT, len(encoded)]) + encoded


async def run(args: argparse.Namespace, report: dict) -> None:
    host, port = args.address.rsplit(":", 1)
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, int(port), type=socket.SOCK_DGRAM)
    family, address = infos[0][0], infos[0][4]
    local = ("127.0.0.1" if family == socket.AF_INET else "::1") if ipaddress.ip_address(address[0]).is_loopback \
        else ("0.0.0.0" if family == socket.AF_INET else "::")
    configuration = QuicConfiguration(is_client=True, alpn_protocols=[ALPN],
                                      max_datagram_frame_size=MAX_DATAGRAM_FRAME_SIZE,
                                      server_name=args.server_name or host, verify_mode=ssl.CERT_REQUIRED)
    configuration.load_verify_locations(cafile=args.ca)
    configuration.load_cert_chain(args.cert, args.key)
    connection = QuicConnection(configuration=configuration)
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: RelayClientProtocol(connection, report=report), local_addr=(local, 0))
    try:
        protocol.connect(address)
        await protocol.wait_connected()
        pending = list(args.register_agent)
        delay = 0.5
        while protocol.close_error is None:
            unanswered = [service for service in pending if service not in protocol.answered]
            if not unanswered and report["observedAddress"] is not None:
                break
            for service in unanswered:
                connection.send_datagram_frame(register_message(service))
            protocol.transmit()
            protocol.changed.clear()
            try:
                await asyncio.wait_for(protocol.changed.wait(), delay)
            except asyncio.TimeoutError:
                delay = min(delay * 2, 5.0)  # §3: first retry after 500 ms, doubling, capped at 5 s
        # SERVICE_STATUS follows REGISTER_ACK: give it a moment to arrive.
        deadline = loop.time() + 1.0
        while any(service not in report["status"] for service in report["acks"]) and loop.time() < deadline:
            protocol.changed.clear()
            try:
                await asyncio.wait_for(protocol.changed.wait(), max(0.01, deadline - loop.time()))
            except asyncio.TimeoutError:
                break
        report["error"] = protocol.close_error
        if report["error"] is None and report["observedAddress"] is None:
            report["error"] = "no OBSERVED_ADDRESS"
        report["ok"] = report["error"] is None
        protocol.close()
        await protocol.wait_closed()
    finally:
        transport.close()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="aioquic as a ztna-v1 relay client (registers as an agent)")
    parser.add_argument("address", metavar="HOST:PORT")
    parser.add_argument("--ca", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--server-name")
    parser.add_argument("--register-agent", action="append", default=[], metavar="SERVICE")
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args(argv)
    report = {"ok": False, "observedAddress": None, "acks": [], "nacks": {}, "status": {}, "unknown": 0, "error": None}
    try:
        asyncio.run(asyncio.wait_for(run(args, report), args.timeout))
    except asyncio.TimeoutError:
        report["error"] = f"timed out after {args.timeout} s"
    except (OSError, ValueError, ConnectionError) as exc:
        report["error"] = f"{type(exc).__name__}: {exc}"
    print(json.dumps(report), flush=True)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
