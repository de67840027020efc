"""Durable intake of Telegram updates across app workers: Redis Streams, partitioned by chat.

Any worker accepts Telegram's webhook call: the update is appended (`XADD`) to the stream
of its partition (a hash of the chat id) and only then answered 200, so an update that
Telegram handed over is never lost with the worker that took it. Each partition is owned
by one worker at a time through a lease (`bot.leases`): the owner reads it through the
consumer group (`XREADGROUP`) and handles its entries one after the other, so one person's
updates never run at the same time nor out of order, whichever worker received them.

A worker that dies stops renewing its leases; within one lease period the other workers
take its partitions over and claim (`XAUTOCLAIM`) the entries it had read but not
acknowledged, oldest first. A worker stopped gracefully finishes the entry it is handling,
then gives its leases back at once. An entry is acknowledged and deleted (`XACK`, `XDEL`:
nothing of the person stays in Redis) after it was handled, and its update id is
remembered (`SET … EX`), so an entry handled just before its worker died, or an update
Telegram delivers twice, is not answered again. The one window left: a worker killed
after sending an answer and before remembering it (a few milliseconds) — see
docs/scaling.md.

Workers share the partitions fairly: each one announces itself (a sorted set with a
heartbeat) and holds at most its share, ceil(partitions / live workers); a worker over its
share (a new worker joined) hands surplus partitions back between two entries.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from prometheus_client import Counter, Histogram
from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from bot.leases import Lease

logger = logging.getLogger(__name__)

GROUP = "workers"
READ_COUNT = 16
READ_BLOCK_MS = 1000
RETRY_SECONDS = 1.0

UPDATES_IN = Counter("assistant_updates_in_total", "Telegram updates accepted into the intake")
INTAKE_WAIT = Histogram(
    "assistant_intake_wait_seconds",
    "From an update's acceptance to the start of its handling (seconds)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)

Handler = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class IntakeConfig:
    prefix: str  # of every key: "<redis_key_prefix>intake:"
    partitions: int
    lease_seconds: float
    remember_seconds: int
    worker: str  # this worker's name (unique per process)


class StreamIntake:
    def __init__(self, redis: Redis, config: IntakeConfig, handle: Handler) -> None:
        self.redis = redis
        self.config = config
        self._handle = handle
        self._owned: dict[int, _Partition] = {}
        self._balancer: asyncio.Task[None] | None = None
        self._stopping = False

    # --- keys ----------------------------------------------------------------------------

    def stream(self, partition: int) -> str:
        return f"{self.config.prefix}stream:{partition}"

    def _lease(self, partition: int) -> Lease:
        key = f"{self.config.prefix}lease:{partition}"
        return Lease(self.redis, key, self.config.worker, self.config.lease_seconds)

    def _done_key(self, update_id: int) -> str:
        return f"{self.config.prefix}done:{update_id}"

    @property
    def _workers_key(self) -> str:
        return f"{self.config.prefix}workers"

    def partition_of(self, chat_id: int) -> int:
        return zlib.crc32(str(chat_id).encode()) % self.config.partitions

    # --- accepting -----------------------------------------------------------------------

    async def accept(self, update_id: int, chat_id: int, update: dict[str, Any]) -> None:
        """Stored in Redis when this returns (raises RedisError otherwise: answer 503)."""
        fields = {"id": str(update_id), "update": json.dumps(update, ensure_ascii=False)}
        await self.redis.xadd(self.stream(self.partition_of(chat_id)), fields)  # type: ignore[arg-type]
        UPDATES_IN.inc()

    # --- consuming -----------------------------------------------------------------------

    async def start(self) -> None:
        for partition in range(self.config.partitions):
            with contextlib.suppress(ResponseError):  # BUSYGROUP: it exists already
                await self.redis.xgroup_create(self.stream(partition), GROUP, "0", mkstream=True)
        self._balancer = asyncio.create_task(self._balance_forever(), name="intake-balancer")

    async def stop(self) -> None:
        """Finish the entries being handled, give the partitions back, leave the group."""
        self._stopping = True
        if self._balancer is not None:
            self._balancer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._balancer
        await asyncio.gather(*(self._give_back(p) for p in list(self._owned)))
        with contextlib.suppress(RedisError):
            await self.redis.zrem(self._workers_key, self.config.worker)

    @property
    def owned(self) -> list[int]:
        return sorted(self._owned)

    async def _balance_forever(self) -> None:
        while True:
            try:
                await self.balance()
            except RedisError:
                logger.warning("intake: Redis unreachable; retrying")
            await asyncio.sleep(self.config.lease_seconds / 3)

    async def balance(self) -> None:
        """Renew the leases held, take free partitions up to this worker's share, give back
        what is over it."""
        share = await self._fair_share()
        for partition, owned in list(self._owned.items()):
            if owned.task.done() or not await owned.lease.renew():
                await self._drop(partition)  # lost (expired while Redis was away): stop at once
        surplus = len(self._owned) - share
        for partition in sorted(self._owned, reverse=True)[: max(0, surplus)]:
            await self._give_back(partition)
        if len(self._owned) >= share:
            return
        for partition in self._search_order():
            if len(self._owned) >= share or self._stopping:
                break
            if partition in self._owned:
                continue
            lease = self._lease(partition)
            if await lease.acquire():
                self._owned[partition] = _Partition.begin(self, partition, lease)

    async def _fair_share(self) -> int:
        now = time.time()
        key = self._workers_key
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {self.config.worker: now})
            pipe.zremrangebyscore(key, "-inf", now - self.config.lease_seconds)
            pipe.zcard(key)
            *_, live = await pipe.execute()
        return math.ceil(self.config.partitions / max(1, int(live)))

    def _search_order(self) -> list[int]:
        """Each worker looks at the partitions from its own starting point (fewer clashes)."""
        count = self.config.partitions
        start = zlib.crc32(self.config.worker.encode()) % count
        return [(start + offset) % count for offset in range(count)]

    async def _give_back(self, partition: int) -> None:
        owned = self._owned.pop(partition, None)
        if owned is None:
            return
        await owned.finish()
        with contextlib.suppress(RedisError):
            await owned.lease.release()

    async def _drop(self, partition: int) -> None:
        owned = self._owned.pop(partition, None)
        if owned is not None:
            owned.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await owned.task

    async def consume(self, partition: int, owned: _Partition) -> None:
        """What the previous owner left first (claimed, oldest first), then new entries."""
        stream = self.stream(partition)
        while not owned.stopping:
            try:
                await self._claim_left_over(stream, owned)
                while not owned.stopping:
                    response: Any = await self.redis.xreadgroup(
                        GROUP,
                        self.config.worker,
                        {stream: ">"},
                        count=READ_COUNT,
                        block=READ_BLOCK_MS,
                    )
                    for _, entries in response or []:
                        await self._handle_all(stream, entries, owned)
                    if not response:  # idle: entries a former owner left since we took over
                        await self._claim_left_over(stream, owned)
                return
            except RedisError:
                logger.warning("intake: partition %s: Redis error; retrying", partition)
                await asyncio.sleep(RETRY_SECONDS)

    async def _claim_left_over(self, stream: str, owned: _Partition) -> None:
        cursor = "0-0"
        while not owned.stopping:
            reply: Any = await self.redis.xautoclaim(
                stream, GROUP, self.config.worker, min_idle_time=0, start_id=cursor, count=100
            )
            cursor = str(reply[0])
            await self._handle_all(stream, list(reply[1]), owned)
            if cursor == "0-0":
                return

    async def _handle_all(
        self, stream: str, entries: list[tuple[str, dict[str, str]]], owned: _Partition
    ) -> None:
        for entry_id, fields in entries:
            if owned.stopping:
                return  # left pending: the next owner claims it
            # fencing, as far as Redis allows it: the lease is ours (and renewed) just before
            # each entry, so a worker whose renewals fell behind stops instead of handling a
            # chat that another worker now owns (the entry stays pending for the new owner)
            if not await owned.lease.renew():
                owned.stopping = True
                return
            await self._handle_entry(stream, entry_id, fields)

    async def _handle_entry(self, stream: str, entry_id: str, fields: dict[str, str]) -> None:
        done = self._done_key(int(fields.get("id", "0")))
        if not await self.redis.exists(done):
            accepted_ms = int(entry_id.split("-", 1)[0])
            INTAKE_WAIT.observe(max(0.0, time.time() - accepted_ms / 1000))
            try:
                await self._handle(json.loads(fields["update"]))
            except Exception:  # a defect: logged, and not handled again and again
                logger.exception("intake: an update could not be handled")
            await self.redis.set(done, "1", ex=self.config.remember_seconds)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xack(stream, GROUP, entry_id)
            pipe.xdel(stream, entry_id)
            await pipe.execute()


class _Partition:
    """One partition this worker owns: its lease and the task reading it."""

    def __init__(self, lease: Lease) -> None:
        self.lease = lease
        self.stopping = False
        self.task: asyncio.Task[None]

    @classmethod
    def begin(cls, intake: StreamIntake, partition: int, lease: Lease) -> _Partition:
        owned = cls(lease)
        owned.task = asyncio.create_task(
            intake.consume(partition, owned), name=f"intake-{partition}"
        )
        return owned

    async def finish(self) -> None:
        """Stop between two entries: the one being handled is finished first."""
        self.stopping = True
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.task
