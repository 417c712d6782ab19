"""cancelfix: find and fix Python code that mishandles asyncio cancellation."""

__version__ = "0.1.0"
