"""Sample modules that several test files share, each with its findings: one definition each.

Tests that need bytes encode them (`SWALLOWING.encode()`); a test's own variants derive from
these (`SWALLOWING.replace(...)`) rather than spelling the module again.
"""

from __future__ import annotations

BROAD = """\
import asyncio


async def reader(conn):
    while True:
        try:
            await conn.read()
        except BaseException:
            pass
"""
"""A coroutine whose broad handler swallows cancellation: CF101 at 8:9, with a safe fix."""

BROAD_FIXED = """\
import asyncio


async def reader(conn):
    while True:
        try:
            await conn.read()
        except asyncio.CancelledError:
            raise
        except BaseException:
            pass
"""
"""`BROAD` after `cancelfix fix`."""

SWALLOWING = """\
import asyncio


async def worker(queue):
    while True:
        try:
            await queue.get()
        except asyncio.CancelledError:
            pass
"""
"""A worker loop that swallows its cancellation: CF102 at 8:9, with a safe fix."""

SWALLOWING_FIXED = SWALLOWING.replace("            pass\n", "            raise\n")
"""`SWALLOWING` after `cancelfix fix`: the `pass` becomes `raise`."""

SYNTAX_ERROR = """\
import asyncio


async def send(conn, payload):
    try:
        await conn.write(payload
    except asyncio.CancelledError:
        raise
"""
"""A file with a syntax error (an unclosed parenthesis on line 7)."""
