import asyncio
from asyncio import CancelledError


class Job:
    def __init__(self, runner, job_id: str) -> None:
        self.runner = runner
        self.job_id = job_id
        self.state = "pending"

    async def execute(self) -> object:
        self.state = "running"
        try:
            result = await self.runner.run(self.job_id)
        except asyncio.CancelledError:
            self.state = "cancelled"
            raise CancelledError(f"job {self.job_id} cancelled") from None
        self.state = "done"
        return result
