import asyncio
import logging

log = logging.getLogger(__name__)


async def handle_request(request, backend):
    """A web handler: the framework cancels it when the client disconnects."""
    try:
        data = await request.json()
        return await backend.query(data)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None and task.cancelling():
            raise
        log.info("backend query for %s was cancelled by the backend", request.path)
        return {"error": "backend cancelled the query"}
