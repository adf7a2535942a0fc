#!/usr/bin/env python3
"""aioquic measured the way `ztna bench quic` measures our engine (loopback, one process, client and
server in one asyncio loop): handshake time, one-way DATAGRAM rate, single-stream throughput.

Prints one JSON object. Usage:
  aioquic_bench.py --cert F --key F --ca F [--handshakes N] [--seconds S] [--stream-bytes N]
"""
import argparse
import asyncio
import json
import resource
import ssl
import statistics
import time

from aioquic.asyncio import connect, serve
from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.events import DatagramFrameReceived, StreamDataReceived

ALPN = ["ztna-bench"]


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class CountingServer(QuicConnectionProtocol):
    counters = {"datagrams": 0, "stream_bytes": 0, "stream_done": None}

    def quic_event_received(self, event):
        if isinstance(event, DatagramFrameReceived):
            CountingServer.counters["datagrams"] += 1
        elif isinstance(event, StreamDataReceived):
            CountingServer.counters["stream_bytes"] += len(event.data)
            if event.end_stream and CountingServer.counters["stream_done"] is not None:
                CountingServer.counters["stream_done"].set_result(time.monotonic())


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--handshakes", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--stream-bytes", type=int, default=20_000_000)
    parser.add_argument("--size", type=int, default=1200)
    args = parser.parse_args()

    # 1452-byte UDP payloads on both sides, as `ztna bench quic` uses: a 1200-byte DATAGRAM needs more than 1200.
    server_configuration = QuicConfiguration(is_client=False, alpn_protocols=ALPN, max_datagram_frame_size=65536,
                                             max_datagram_size=1452)
    server_configuration.load_cert_chain(args.cert, args.key)
    server = await serve("127.0.0.1", 0, configuration=server_configuration, create_protocol=CountingServer)
    port = server._transport.get_extra_info("sockname")[1]

    def client_configuration():
        configuration = QuicConfiguration(is_client=True, alpn_protocols=ALPN, max_datagram_frame_size=65536,
                                          server_name="localhost", max_datagram_size=1452)
        configuration.load_verify_locations(args.ca)
        configuration.verify_mode = ssl.CERT_REQUIRED
        return configuration

    result = {}
    # Handshakes (connect() returns once the handshake completed).
    samples = []
    for _ in range(args.handshakes):
        start = time.monotonic()
        async with connect("127.0.0.1", port, configuration=client_configuration()) as client:
            samples.append((time.monotonic() - start) * 1000)
            client.close()
    samples.sort()
    result["handshakeMedianMs"] = statistics.median(samples)
    result["handshakeP99Ms"] = samples[min(len(samples) - 1, int(0.99 * (len(samples) - 1) + 0.5))]

    # One-way DATAGRAMs of --size bytes for --seconds: send in bursts, yield to the loop between them.
    async with connect("127.0.0.1", port, configuration=client_configuration()) as client:
        CountingServer.counters["datagrams"] = 0
        payload = bytes(args.size)
        sent = 0
        cpu = cpu_seconds()
        start = time.monotonic()
        while time.monotonic() - start < args.seconds:
            # Keep aioquic's (unbounded) datagram queue short: queue only what it can send soon.
            if len(client._quic._datagrams_pending) < 64:
                for _ in range(32):
                    client._quic.send_datagram_frame(payload)
                sent += 32
            client.transmit()
            await asyncio.sleep(0)
        elapsed = time.monotonic() - start
        await asyncio.sleep(0.2)
        result["datagramsSent"] = sent
        result["datagramsReceived"] = CountingServer.counters["datagrams"]
        result["datagramSeconds"] = elapsed
        result["datagramCPUSeconds"] = cpu_seconds() - cpu
        client.close()

    # One stream of --stream-bytes bytes; measured until the server saw the FIN.
    async with connect("127.0.0.1", port, configuration=client_configuration()) as client:
        loop = asyncio.get_running_loop()
        CountingServer.counters["stream_bytes"] = 0
        CountingServer.counters["stream_done"] = loop.create_future()
        reader, writer = await client.create_stream()
        chunk = bytes(256 * 1024)
        cpu = cpu_seconds()
        start = time.monotonic()
        sent = 0
        while sent < args.stream_bytes:
            piece = min(len(chunk), args.stream_bytes - sent)
            writer.write(chunk[:piece])
            sent += piece
            await writer.drain()
        writer.write_eof()
        finished = await asyncio.wait_for(CountingServer.counters["stream_done"], timeout=300)
        result["streamBytes"] = CountingServer.counters["stream_bytes"]
        result["streamSeconds"] = finished - start
        result["streamCPUSeconds"] = cpu_seconds() - cpu
        client.close()

    server.close()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
