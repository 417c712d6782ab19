import asyncio

from cloudtrack import AuthFailed, CloudClient


class SetupFailed(Exception):
    pass


async def setup_entry(hub, entry: dict) -> bool:
    client = CloudClient(entry["email"], entry["password"])
    try:
        token = await client.authenticate()
    except AuthFailed as err:
        await client.close()
        raise SetupFailed("the account rejected the credentials") from err
    except asyncio.CancelledError:
        await client.close()
        raise
    hub.clients[entry["id"]] = (client, token)
    return True
