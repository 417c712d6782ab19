import asyncio
import csv
import logging
import os
import tempfile
from datetime import date

log = logging.getLogger(__name__)


def make_tmp(suffix: str = ".csv") -> str:
    fd, path = tempfile.mkstemp(suffix=suffix, prefix="export-")
    os.close(fd)
    return path


def write_csv(path: str, rows: list[dict]) -> None:
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=["id", "customer", "total_cents"])
        writer.writeheader()
        writer.writerows(rows)


async def export_orders(store, bucket, day: date) -> str:
    path = make_tmp()
    try:
        rows = await store.orders_for_day(day)
        await asyncio.to_thread(write_csv, path, rows)
        key = f"exports/{day:%Y/%m/%d}/orders.csv"
        await bucket.upload_file(path, key)
    finally:
        os.unlink(path)
    log.info("exported %d orders to %s", len(rows), key)
    return key
