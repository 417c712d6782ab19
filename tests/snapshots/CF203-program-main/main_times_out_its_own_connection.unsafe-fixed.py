import argparse
import asyncio
import sys


async def main(host: str, interval: float) -> None:
    while True:
        try:
            async with asyncio.timeout(30):
                reader, writer = await asyncio.open_connection(host, 80)
                try:
                    writer.write(b"PING\n")
                    print(await reader.readline())
                finally:
                    writer.close()
        except TimeoutError:
            print(f"{host} did not answer", file=sys.stderr)
        await asyncio.sleep(interval)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Ping a host until interrupted.")
    parser.add_argument("host")
    parser.add_argument("--interval", type=float, default=60.0)
    args = parser.parse_args()
    asyncio.run(main(args.host, args.interval))
