import asyncio
import logging

log = logging.getLogger(__name__)

HEARTBEAT = b"\x00"
END_OF_BATCH = b"\x04"


async def collect_batch(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> list[bytes]:
    records: list[bytes] = []
    try:
        while True:
            frame = await reader.readuntil(b"\n")
            if frame.startswith(HEARTBEAT):
                continue
            if frame.startswith(END_OF_BATCH):
                break
            records.append(frame.rstrip(b"\n"))
    except asyncio.IncompleteReadError as exc:
        log.warning(
            "batch cut short after %d records (%d bytes pending)", len(records), len(exc.partial)
        )
        return records
    finally:
        writer.close()
        await writer.wait_closed()
    return records
