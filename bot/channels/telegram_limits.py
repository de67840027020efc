"""Telegram's flood budgets for every Bot API call of the bot, shared by all app workers.

Telegram allows a bot about 30 messages a second overall and 20 a minute in one group (the
mediators' group: `telegram_group_messages_per_minute`). A budget kept in each process would
let N workers send N times as much, so the budgets are windows of `bot.limits.Limits`: in
Redis with several workers, in the process otherwise. A call waits until its budgets allow
it (counted in `assistant_flood_wait_seconds`); a 429 that still comes back is waited out
and retried (`retry_after`), a few times.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.constants import FloodLimit
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.limits import Limits
from bot.metrics import FLOOD_RETRIES, FLOOD_WAIT_SECONDS, SEND_SECONDS

logger = logging.getLogger(__name__)

JSONDict = dict[str, Any]
Result = bool | JSONDict | list[JSONDict]
OVERALL_KEY = "telegram:overall"
GROUP_WINDOW_SECONDS = 60.0


class SharedFloodLimiter(BaseRateLimiter[int]):
    def __init__(
        self,
        limits: Limits,
        group_messages_per_minute: int,
        overall_per_second: int = FloodLimit.MESSAGES_PER_SECOND,
        max_retries: int = 3,
        group_window_seconds: float = GROUP_WINDOW_SECONDS,  # shorter in unit tests only
    ) -> None:
        self._limits = limits
        self._group_rate = int(group_messages_per_minute)
        self._group_window = group_window_seconds
        self._overall_rate = int(overall_per_second)
        self._max_retries = max_retries

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        chat_id = data.get("chat_id")
        retries = rate_limit_args if rate_limit_args is not None else self._max_retries
        for attempt in range(retries + 1):
            if chat_id is not None:
                await self._within_budgets(chat_id)
            started = time.perf_counter()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as refused:
                if attempt == retries:
                    raise
                FLOOD_RETRIES.inc()
                logger.info("Telegram flood limit: retrying in %.1f s", _seconds(refused))
                await asyncio.sleep(_seconds(refused) + 0.1)
            finally:
                SEND_SECONDS.labels(endpoint).observe(time.perf_counter() - started)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _within_budgets(self, chat_id: object) -> None:
        group = group_of(chat_id)
        if group is not None:
            key = f"telegram:group:{group}"
            await self._wait("group", key, self._group_rate, self._group_window)
        await self._wait("overall", OVERALL_KEY, self._overall_rate, 1.0)

    async def _wait(self, budget: str, key: str, limit: int, window: float) -> None:
        started = time.perf_counter()
        while wait := await self._limits.take(key, limit, window):
            await asyncio.sleep(wait)
        waited = time.perf_counter() - started
        if waited > 0.001:
            FLOOD_WAIT_SECONDS.labels(budget).observe(waited)


def group_of(chat_id: object) -> str | None:
    """A group or channel (negative id, or @username), else None (a private chat)."""
    if isinstance(chat_id, str) and not chat_id.lstrip("-").isdigit():
        return chat_id
    with contextlib.suppress(TypeError, ValueError):
        number = int(chat_id)  # type: ignore[call-overload]
        return str(number) if number < 0 else None
    return None


def _seconds(refused: RetryAfter) -> float:
    value = refused.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
