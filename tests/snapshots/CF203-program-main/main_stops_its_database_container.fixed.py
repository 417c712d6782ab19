import asyncio

import aiodocker

from .migrations import run_migrations


async def main() -> None:
    docker = aiodocker.Docker()
    container = await docker.containers.run({"Image": "postgres:16"})
    try:
        await run_migrations(container)
    finally:
        await container.stop()


if __name__ == "__main__":
    asyncio.run(main())
