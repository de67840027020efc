"""The intake on a real Redis, with a recording handler instead of the bot: two workers share
the partitions, one chat's updates are handled in order and once, a dead worker's entries are
taken over, a worker stopped gracefully hands its partitions on at once; leases."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.channels.intake import IntakeConfig, StreamIntake
from bot.leases import Lease, LeasedTask

REDIS_URL = "redis://127.0.0.1:6379/0"
LEASE_SECONDS = 1.5


@pytest.fixture
async def redis() -> AsyncIterator[tuple[Redis, str]]:
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    prefix = f"test-intake-{uuid.uuid4().hex[:8]}:"
    yield client, prefix
    keys = [key async for key in client.scan_iter(f"{prefix}*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


class Recorder:
    """What each worker handled: (worker, chat, sequence number), in handling order."""

    def __init__(self) -> None:
        self.handled: list[tuple[str, int, int]] = []
        self.block: set[int] = set()  # sequence numbers a worker hangs on (it will "die")
        self.slow: dict[int, float] = {}  # sequence number: seconds worker A takes on it
        self.started: list[tuple[str, int]] = []  # (worker, seq) as handling begins

    def handler(self, worker: str) -> Any:
        async def handle(update: dict[str, Any]) -> None:
            self.started.append((worker, update["seq"]))
            if worker == "A" and update["seq"] in self.block:
                await asyncio.Event().wait()  # hangs until the worker is killed
            await asyncio.sleep(self.slow.get(update["seq"], 0.01) if worker == "A" else 0.01)
            self.handled.append((worker, update["chat"], update["seq"]))

        return handle

    def per_chat(self) -> dict[int, list[int]]:
        chats: dict[int, list[int]] = defaultdict(list)
        for _, chat, seq in self.handled:
            chats[chat].append(seq)
        return chats


def worker(
    redis: Redis, prefix: str, name: str, recorder: Recorder, partitions: int = 4
) -> StreamIntake:
    config = IntakeConfig(f"{prefix}intake:", partitions, LEASE_SECONDS, 600, name)
    return StreamIntake(redis, config, recorder.handler(name))


async def send(intakes: list[StreamIntake], chats: int, per_chat: int) -> list[tuple[int, int]]:
    sent = []
    for seq in range(per_chat):
        for chat in range(chats):
            update_id = seq * chats + chat + 1
            intake = intakes[update_id % len(intakes)]  # spread over the workers
            await intake.accept(update_id, 1000 + chat, {"chat": 1000 + chat, "seq": seq})
            sent.append((1000 + chat, seq))
    return sent


async def until(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_two_workers_share_the_partitions_and_keep_each_chat_in_order(
    redis: tuple[Redis, str],
) -> None:
    client, prefix = redis
    recorder = Recorder()
    a, b = worker(client, prefix, "A", recorder), worker(client, prefix, "B", recorder)
    await a.start()
    await b.start()
    await until(lambda: len(a.owned) == 2 and len(b.owned) == 2)
    await send([a, b], chats=6, per_chat=8)
    await until(lambda: len(recorder.handled) == 48)
    assert all(seqs == list(range(8)) for seqs in recorder.per_chat().values())
    assert {w for w, _, _ in recorder.handled} == {"A", "B"}
    await a.stop()
    await b.stop()
    assert not await client.xlen(a.stream(0))  # nothing of the people stays in Redis


async def test_a_dead_workers_entries_are_taken_over_in_order(redis: tuple[Redis, str]) -> None:
    client, prefix = redis
    recorder = Recorder()
    a = worker(client, prefix, "A", recorder)
    await a.start()
    await until(lambda: len(a.owned) == 4)
    recorder.block = {2}  # A reads the third message of each chat and dies on it
    await send([a], chats=3, per_chat=5)
    await until(lambda: len(recorder.handled) == 6)  # 0 and 1 of each chat
    for task in asyncio.all_tasks():  # kill -9: no ack, no lease given back
        if task.get_name().startswith("intake-"):
            task.cancel()
    b = worker(client, prefix, "B", recorder)
    await b.start()
    await until(lambda: len(recorder.handled) == 15, timeout=LEASE_SECONDS * 6)
    assert all(seqs == list(range(5)) for seqs in recorder.per_chat().values())
    assert [w for w, _, seq in recorder.handled if seq >= 2] == ["B"] * 9
    await b.stop()


async def test_a_worker_whose_lease_lapsed_mid_entry_lets_no_one_else_in_until_it_is_done(
    redis: tuple[Redis, str],
) -> None:
    """Fencing: A's lease lapses (its renewals stalled) while it is on a slow entry, and B
    takes the partition. B waits for A's entry to end instead of handling it too; A stops
    before the next entry; the chat's updates are handled once each and in order."""
    client, prefix = redis
    recorder = Recorder()
    recorder.slow = {1: LEASE_SECONDS * 2.5}
    a = worker(client, prefix, "A", recorder, partitions=1)
    await a.start()
    await until(lambda: a.owned == [0])
    await send([a], chats=1, per_chat=6)
    await until(lambda: ("A", 1) in recorder.started)
    for task in asyncio.all_tasks():  # A's balancer stalls: its lease is not renewed
        if task.get_name() == "intake-balancer":
            task.cancel()
    await client.delete(f"{prefix}intake:lease:0")  # ... and lapses
    b = worker(client, prefix, "B", recorder, partitions=1)
    await b.start()
    await until(lambda: b.owned == [0], timeout=LEASE_SECONDS * 2)
    await until(lambda: len(recorder.handled) == 6, timeout=LEASE_SECONDS * 8)
    assert recorder.per_chat() == {1000: [0, 1, 2, 3, 4, 5]}
    assert [(w, seq) for w, _, seq in recorder.handled] == [
        ("A", 0), ("A", 1), ("B", 2), ("B", 3), ("B", 4), ("B", 5)
    ]  # fmt: skip
    assert recorder.started.count(("A", 1)) == 1 and ("B", 1) not in recorder.started
    await b.stop()
    await a.stop()


async def test_a_lease_taken_again_carries_a_new_fencing_token(redis: tuple[Redis, str]) -> None:
    client, prefix = redis
    first = Lease(client, f"{prefix}lease:x", "w", 5.0)
    assert await first.acquire()
    held_before = first.value
    await client.delete(first.key)  # it lapsed
    again = Lease(client, first.key, "w", 5.0)  # the same worker takes it again
    assert await again.acquire()
    assert again.value != held_before
    assert not await first.renew()  # what began under the old token cannot go on
    await first.release()  # ... nor give the new holder's lease away
    assert await client.get(first.key) == again.value


async def test_a_worker_stopped_gracefully_hands_its_partitions_on_at_once(
    redis: tuple[Redis, str],
) -> None:
    client, prefix = redis
    recorder = Recorder()
    a, b = worker(client, prefix, "A", recorder), worker(client, prefix, "B", recorder)
    await a.start()
    await until(lambda: len(a.owned) == 4)
    await b.start()
    await a.stop()  # gives its leases back: B need not wait for them to expire
    stopped = time.monotonic()
    await send([b], chats=4, per_chat=2)
    await until(lambda: len(recorder.handled) == 8)
    assert time.monotonic() - stopped < LEASE_SECONDS * 1.5
    assert {w for w, _, _ in recorder.handled} == {"B"}
    await b.stop()


async def test_an_update_delivered_twice_is_handled_once(redis: tuple[Redis, str]) -> None:
    client, prefix = redis
    recorder = Recorder()
    a = worker(client, prefix, "A", recorder)
    await a.start()
    await until(lambda: len(a.owned) == 4)
    for seq in (0, 0, 1):  # Telegram delivers update 1 again (no 200 seen the first time)
        await a.accept(1 + seq, 1000, {"chat": 1000, "seq": seq})
    await until(lambda: len(recorder.handled) == 2)
    await a.stop()
    assert recorder.per_chat() == {1000: [0, 1]}


async def test_one_leased_task_runs_and_another_takes_over_when_it_ends(
    redis: tuple[Redis, str],
) -> None:
    client, prefix = redis
    running: list[str] = []

    def leased(name: str) -> LeasedTask:
        async def stop() -> None:
            running.remove(name)

        lease = Lease(client, f"{prefix}lease:relay", name, 1.0)
        return LeasedTask(lease, lambda: running.append(name), stop)

    first, second = leased("first"), leased("second")
    first.begin()
    await until(lambda: running == ["first"])
    second.begin()
    await asyncio.sleep(1.2)
    assert running == ["first"]
    await first.end()
    await until(lambda: running == ["second"], timeout=2.0)
    await second.end()
