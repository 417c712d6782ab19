import asyncio

from .app import Application, build_app


async def main(app: Application) -> None:
    try:
        await app.startup()
        await app.serve_until_signalled()
    finally:
        await app.shutdown()


if __name__ == "__main__":
    asyncio.run(main(build_app()))
