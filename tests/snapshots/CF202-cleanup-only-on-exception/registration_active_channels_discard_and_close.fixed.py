class ChannelManager:
    def __init__(self, connection) -> None:
        self._connection = connection
        self._active: set = set()

    async def open_channel(self, number: int):
        channel = self._connection.channel(number)
        self._active.add(channel)
        try:
            await channel.open()
            await channel.basic_qos(prefetch_count=10)
        except BaseException:
            self._active.discard(channel)
            await channel.close()
            raise
        return channel
