async def copy_table(src_pool, dst_pool, table: str) -> None:
    src = await src_pool.acquire()
    dst = await dst_pool.acquire()
    try:
        rows = await src.fetch(f"SELECT * FROM {table}")
        await dst.copy_records_to_table(table, records=rows)
        await src_pool.release(src)
    finally:
        await dst_pool.release(dst)
