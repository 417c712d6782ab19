"""Probe a host; the daemon (`.daemon`) also awaits `probe` under a timeout."""

import argparse
import asyncio


async def probe(host: str, port: int) -> bytes:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(b"PING\n")
        reply = await reader.readline()
    finally:
        writer.close()
    return reply


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("host")
    args = parser.parse_args()
    print(asyncio.run(probe(args.host, 7)))
