import asyncio
from aio_pika.exceptions import ChannelClosed


async def publish(connection, channel, msg):
    try:
        await channel.default_exchange.publish(msg, routing_key="jobs")
        await channel.close()
    except OSError:
        await channel.close()
        raise
    except ChannelClosed:
        raise
    finally:
        await connection.close()
