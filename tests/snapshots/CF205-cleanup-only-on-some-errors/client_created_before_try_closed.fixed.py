import asyncio


class AuthError(Exception):
    pass


class NotReady(Exception):
    pass


async def setup_entry(registry, host: str, password: str, client_factory) -> bool:
    client = client_factory(host, reconnect=True)
    try:
        await client.login(password)
        await client.fetch_inventory()
    except (AuthError, ConnectionError) as err:
        await client.close()
        raise NotReady(f"cannot reach {host}") from err
    except asyncio.CancelledError:
        await client.close()
        raise
    registry[host] = client
    return True
