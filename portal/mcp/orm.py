"""Running Django's ORM from the async MCP server: one thread per call, connections tidied as after a request."""

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.db import close_old_connections, connection, connections


def _tidied(function):
    """Run ``function`` as Django runs a request: stale connections closed before, and this thread's connections
    closed after (each call runs in a thread of its own). Inside a test's transaction nothing is closed."""

    def run(*args, **kwargs):
        if not connection.in_atomic_block:
            close_old_connections()
        try:
            return function(*args, **kwargs)
        finally:
            if not connection.in_atomic_block:
                connections.close_all()

    return run


async def in_django(function, *args, **kwargs):
    """Call synchronous ORM code from the async MCP handlers, as Django's ASGI handler does for a request: in a
    thread of its own for this call (``ThreadSensitiveContext``), so calls do not wait on each other."""
    async with ThreadSensitiveContext():
        return await sync_to_async(_tidied(function))(*args, **kwargs)
