"""The rules of what app workers share, checked the same way on the in-process store and on
the local Redis (under a prefix of this run): sliding windows, streaks, pending web chat
replies, live case events between two workers, and Telegram's flood budgets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis
from telegram.error import RetryAfter

from bot.channels.telegram_limits import SharedFloodLimiter, group_of
from bot.handoff.events import QUEUE, CaseEvents
from bot.limits import Limits, MemoryLimits
from bot.shared.live_events import RedisCaseEvents
from bot.shared.pending import MemoryPendingReplies, PendingReplies, RedisPendingReplies
from bot.shared.redis_limits import RedisLimits
from tests.support.redis import REDIS_URL, redis_prefix


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    async with redis_prefix() as value:
        yield value


@pytest.fixture
async def redis_clients() -> AsyncIterator[list[Redis]]:
    """Two connections, as two workers would have."""
    clients = [Redis.from_url(REDIS_URL), Redis.from_url(REDIS_URL)]
    yield clients
    for client in clients:
        await client.aclose()


@pytest.fixture(params=["memory", "redis"])
def limits(request: pytest.FixtureRequest, prefix: str, redis_clients: list[Redis]) -> Limits:
    if request.param == "memory":
        return MemoryLimits()
    return RedisLimits(redis_clients[0], prefix)


# --- windows and streaks -------------------------------------------------------------------


async def test_a_window_allows_its_limit_then_says_how_long_to_wait(limits: Limits) -> None:
    assert [await limits.take("k", 3, 0.5) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = await limits.take("k", 3, 0.5)
    assert 0 < wait <= 0.5
    assert await limits.count("k", 0.5) == 3  # the refused event was not recorded
    await asyncio.sleep(wait + 0.02)
    assert await limits.take("k", 3, 0.5) == 0.0


async def test_add_records_past_the_limit_and_count_forgets_old_events(limits: Limits) -> None:
    for _ in range(4):
        await limits.add("a", 0.3)
    assert await limits.count("a", 0.3) == 4
    assert await limits.count("other", 0.3) == 0
    await asyncio.sleep(0.35)
    assert await limits.count("a", 0.3) == 0


async def test_a_streak_grows_ages_ends_and_is_forgotten(limits: Limits) -> None:
    assert (await limits.streak("s")).count == 0
    await limits.extend_streak("s", 5)
    second = await limits.extend_streak("s", 5)
    assert second.count == 2
    await asyncio.sleep(0.1)
    streak = await limits.streak("s")
    assert streak.count == 2 and 0.08 < streak.age < 2
    await limits.end_streak("s")
    assert (await limits.streak("s")).count == 0
    await limits.extend_streak("q", 0.2)
    await asyncio.sleep(0.3)
    assert (await limits.streak("q")).count == 0


async def test_two_workers_share_one_window(prefix: str, redis_clients: list[Redis]) -> None:
    first, second = (RedisLimits(client, prefix) for client in redis_clients)
    taken = await asyncio.gather(*(w.take("shared", 5, 10) for w in [first, second] * 5))
    assert sum(1 for wait in taken if wait == 0.0) == 5
    assert await second.count("shared", 10) == 5


async def test_redis_keys_carry_the_prefix_and_expire(
    prefix: str, redis_clients: list[Redis]
) -> None:
    await RedisLimits(redis_clients[0], prefix).take("k", 1, 30)
    keys = [key async for key in redis_clients[0].scan_iter(match=prefix + "*")]
    ttls = [await redis_clients[0].ttl(key) for key in keys]
    assert ttls and all(0 < ttl <= 30 for ttl in ttls)


# --- pending web chat replies ---------------------------------------------------------------


@pytest.fixture(params=["memory", "redis"])
def pending(request: pytest.FixtureRequest, prefix: str, redis_clients: list[Redis]):  # type: ignore[no-untyped-def]
    if request.param == "memory":
        return MemoryPendingReplies()
    return RedisPendingReplies(redis_clients[0], prefix)


async def test_pending_replies_come_once_in_order(pending: PendingReplies) -> None:
    await pending.push("session-1", [{"text": "uno"}, {"text": "due"}])
    await pending.push("session-1", [{"text": "tre", "buttons": []}])
    await pending.push("session-2", [{"text": "altro"}])
    assert [m["text"] for m in await pending.take("session-1")] == ["uno", "due", "tre"]
    assert await pending.take("session-1") == []
    assert [m["text"] for m in await pending.take("session-2")] == ["altro"]


async def test_another_worker_hands_out_what_one_stored_without_the_session_id_in_redis(
    prefix: str, redis_clients: list[Redis]
) -> None:
    session = "a-secret-session-id-0123456789"
    await RedisPendingReplies(redis_clients[0], prefix).push(session, [{"text": "ciao"}])
    keys = [key.decode() async for key in redis_clients[0].scan_iter(match=prefix + "*")]
    assert keys and not any(session in key for key in keys)
    assert await RedisPendingReplies(redis_clients[1], prefix).take(session) == [{"text": "ciao"}]


# --- live case events -------------------------------------------------------------------------


async def test_a_change_published_by_one_worker_wakes_the_other_workers_sockets(
    prefix: str, redis_clients: list[Redis]
) -> None:
    worker_a, worker_b = (RedisCaseEvents(client, prefix) for client in redis_clients)
    await worker_a.start()
    await worker_b.start()
    try:
        case_socket, queue_page = worker_a.subscribe(42), worker_a.subscribe(QUEUE)
        other_case = worker_a.subscribe(7)
        await worker_b.publish(42)
        assert await asyncio.wait_for(case_socket.get(), 5) == 42
        assert await asyncio.wait_for(queue_page.get(), 5) == 42
        await worker_b.publish(7)  # the sockets of case 7 hear of case 7 only
        assert await asyncio.wait_for(other_case.get(), 5) == 7
        assert case_socket.empty()
    finally:
        await worker_a.stop()
        await worker_b.stop()


async def test_in_process_events_reach_only_the_cases_subscribers() -> None:
    events = CaseEvents()
    mine, other = events.subscribe(1), events.subscribe(2)
    await events.publish(1)
    assert mine.get_nowait() == 1 and other.empty()


# --- Telegram's flood budgets ------------------------------------------------------------------


def test_groups_are_told_from_private_chats() -> None:
    assert group_of(-100777) == "-100777"
    assert group_of("-100777") == "-100777"
    assert group_of("@channel") == "@channel"
    assert group_of(12345) is None
    assert group_of("12345") is None


class FakeBotApi:
    """Records when each call reached "Telegram"; refuses the first `refusals` with a 429."""

    def __init__(self, refusals: int = 0) -> None:
        self.times: list[float] = []
        self.refusals = refusals

    async def call(self, chat_id: int) -> dict[str, Any]:
        if self.refusals:
            self.refusals -= 1
            raise RetryAfter(0)
        self.times.append(time.monotonic())
        return {"chat_id": chat_id}


async def send(limiter: SharedFloodLimiter, api: FakeBotApi, chat_id: int) -> object:
    return await limiter.process_request(
        api.call, (chat_id,), {}, "sendMessage", {"chat_id": chat_id}, None
    )


def most_in_any_window(times: list[float], window: float, jitter: float = 0.03) -> int:
    """The most calls that arrived within `window` (less the few milliseconds between taking
    the budget and the call's arrival, which vary from call to call)."""
    span = window - jitter
    return max(sum(1 for t in times if start <= t < start + span) for start in times)


async def test_two_workers_never_exceed_a_groups_budget_together(
    prefix: str, redis_clients: list[Redis]
) -> None:
    api = FakeBotApi()
    workers = [
        SharedFloodLimiter(RedisLimits(client, prefix), 3, group_window_seconds=0.5)
        for client in redis_clients
    ]
    await asyncio.gather(*(send(w, api, -100777) for w in workers for _ in range(4)))
    assert len(api.times) == 8
    assert most_in_any_window(api.times, 0.5) <= 3
    assert api.times[-1] - api.times[0] >= 1.0  # 8 calls, 3 per half second: 3 windows


async def test_private_chats_do_not_wait_for_a_groups_budget() -> None:
    limiter = SharedFloodLimiter(MemoryLimits(), 1, group_window_seconds=30)
    api = FakeBotApi()
    await send(limiter, api, -100777)
    blocked = asyncio.create_task(send(limiter, api, -100777))
    started = time.monotonic()
    await asyncio.gather(*(send(limiter, api, 1000 + n) for n in range(5)))
    assert time.monotonic() - started < 1 and not blocked.done()
    blocked.cancel()


async def test_the_overall_budget_holds_across_chats() -> None:
    limiter = SharedFloodLimiter(MemoryLimits(), 20, overall_per_second=10)
    api = FakeBotApi()
    await asyncio.gather(*(send(limiter, api, 1000 + n) for n in range(25)))
    assert most_in_any_window(api.times, 1.0) <= 10


async def test_a_429_is_waited_out_and_retried() -> None:
    api = FakeBotApi(refusals=2)
    result = await send(SharedFloodLimiter(MemoryLimits(), 20), api, 5)
    assert result == {"chat_id": 5} and len(api.times) == 1
    with pytest.raises(RetryAfter):
        await send(SharedFloodLimiter(MemoryLimits(), 20, max_retries=1), FakeBotApi(2), 5)


async def test_limits_let_everything_through_while_redis_is_down() -> None:
    nowhere = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    limits = RedisLimits(nowhere, "down:")
    try:
        assert [await limits.take("k", 1, 60) for _ in range(3)] == [0.0, 0.0, 0.0]
        await limits.add("a", 60)
        assert await limits.count("a", 60) == 0
        assert (await limits.extend_streak("s", 60)).count == 0
        assert (await limits.streak("s")).count == 0
        await limits.end_streak("s")
    finally:
        await nowhere.aclose()
