async def greet_shard(shards: dict, key: str, connect) -> None:
    shards[key] = await connect(key)
    try:
        await shards[key].send(b"hello")
    finally:
        shards[key].close()
