# Cache refresh hooks, registered by the application factory.


_background_tasks: set[object] = set()


def schedule_refresh(event_loop, cache, keys):
    """Refresh the keys in the background; the caller does not wait."""
    for key in keys:
        task = event_loop.create_task(cache.refresh(key))
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)
