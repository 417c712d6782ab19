import asyncio

from .app import Application, build_app


async def main(app: Application) -> None:
    try:
        await app.startup()
        await app.serve_until_signalled()
    finally:
        await app.shutdown()


async def serve_with_reloads(app: Application) -> None:
    while app.reload_requested:
        await main(app)


if __name__ == "__main__":
    asyncio.run(main(build_app()))
