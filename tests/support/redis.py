"""Redis for tests: the local server (127.0.0.1:6379), under a key prefix of this run only,
so parallel runs never meet; every key of the prefix is deleted afterwards."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis

REDIS_URL = "redis://127.0.0.1:6379/0"


def run_prefix() -> str:
    return f"assistant-test-{uuid.uuid4().hex[:12]}:"


async def delete_prefix(prefix: str) -> None:
    client = Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=prefix + "*", count=1000)]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@asynccontextmanager
async def redis_prefix() -> AsyncIterator[str]:
    prefix = run_prefix()
    try:
        yield prefix
    finally:
        await delete_prefix(prefix)
