import asyncio
from aio_pika.exceptions import ChannelClosed


async def publish(connection, channel, msg):
    try:
        await channel.default_exchange.publish(msg, routing_key="jobs")
    finally:
        await channel.close()
        await connection.close()
