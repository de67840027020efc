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
Telegram delivers twice, is not answered again.

Fencing. A lease can lapse while its owner still works (a stalled process, a slow Redis),
and another worker can then take the partition. Two rules keep one chat to one worker at a
time even then:
- an owner starts an entry only through one Lua script (`BEGIN`) that checks that the lease
  still holds its own fencing token (`bot.leases`: a new owner gets a greater one), so a
  former owner stops between two entries;
- the entry being handled is marked in Redis (`inflight`, renewed by a heartbeat while the
  handler runs, expiring one lease period after a dead worker's last beat). A new owner
  waits while a former owner's mark is there, then finds the entry done (or not, if its
  worker died) and goes on in order.
A worker whose mark lapsed (its event loop stalled for a whole lease period) cancels the
entry it was handling; the new owner handles it again. The windows left — that stall, and a
worker killed after sending an answer and before remembering it — are in docs/scaling.md.

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

from bot.leases import RENEW, Lease

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
        self._leaving: set[asyncio.Task[None]] = set()  # partitions finishing their entry
        self._balancer: asyncio.Task[None] | None = None
        self._stopping = False

    # --- keys: the names of the versions before fencing, so that an upgrade finds the
    # entries they accepted (one Redis; the scripts are not written for Redis Cluster)

    def stream(self, partition: int) -> str:
        return f"{self.config.prefix}stream:{partition}"

    def _lease(self, partition: int) -> Lease:
        key = f"{self.config.prefix}lease:{partition}"
        return Lease(self.redis, key, self.config.worker, self.config.lease_seconds)

    def _inflight_key(self, partition: int) -> str:
        return f"{self.config.prefix}inflight:{partition}"

    def _done_key(self, partition: int, update_id: int) -> str:
        return f"{self.config.prefix}done:{update_id}"  # an update id is one chat's: one partition

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
        for partition in list(self._owned):
            self._give_back(partition)
        await asyncio.gather(*list(self._leaving))
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
        what is over it. Never waits for an entry: the leases are renewed on time."""
        share = await self._fair_share()
        for partition, owned in list(self._owned.items()):
            if owned.task.done() or not await owned.lease.renew():
                self._give_back(partition)  # lost (it lapsed): stop after the current entry
        surplus = len(self._owned) - share
        for partition in sorted(self._owned, reverse=True)[: max(0, surplus)]:
            self._give_back(partition)
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

    def _give_back(self, partition: int) -> None:
        """Stop reading the partition; its lease is released once the current entry is done
        (in the background: the balance goes on renewing the others)."""
        owned = self._owned.pop(partition, None)
        if owned is None:
            return
        owned.stopping = True
        retiring = asyncio.create_task(owned.finish(), name=f"retiring-{partition}")
        self._leaving.add(retiring)
        retiring.add_done_callback(self._leaving.discard)

    async def consume(self, partition: int, owned: _Partition) -> None:
        """What the previous owner left first (claimed, oldest first), then new entries."""
        stream = self.stream(partition)
        while not owned.stopping:
            try:
                await self._claim_left_over(partition, owned)
                while not owned.stopping:
                    response: Any = await self.redis.xreadgroup(
                        GROUP,
                        self.config.worker,
                        {stream: ">"},
                        count=READ_COUNT,
                        block=READ_BLOCK_MS,
                    )
                    for _, entries in response or []:
                        await self._handle_all(partition, entries, owned)
                    if not response:  # idle: entries a former owner left since we took over
                        await self._claim_left_over(partition, owned)
                return
            except RedisError:
                logger.warning("intake: partition %s: Redis error; retrying", partition)
                await asyncio.sleep(RETRY_SECONDS)

    async def _claim_left_over(self, partition: int, owned: _Partition) -> None:
        cursor = "0-0"
        while not owned.stopping:
            reply: Any = await self.redis.xautoclaim(
                self.stream(partition),
                GROUP,
                self.config.worker,
                min_idle_time=0,
                start_id=cursor,
                count=100,
            )
            cursor = str(reply[0])
            await self._handle_all(partition, list(reply[1]), owned)
            if cursor == "0-0":
                return

    async def _handle_all(
        self, partition: int, entries: list[tuple[str, dict[str, str]]], owned: _Partition
    ) -> None:
        for entry_id, fields in entries:
            if owned.stopping:
                return  # left pending: the next owner claims it
            entry = _Entry(partition, entry_id, int(fields.get("id", "0")), fields.get("update"))
            verdict = await self._begin(entry, owned)
            if verdict == _LOST:
                owned.stopping = True  # the lease is another's: the entry is left to it
                return
            if verdict == _GO and not await self._handle_fenced(entry, owned):
                owned.stopping = True  # the mark lapsed mid-entry: the new owner redoes it
                return
            await self._finish(entry, owned, handled=verdict == _GO)

    async def _begin(self, entry: _Entry, owned: _Partition) -> int:
        """`BEGIN` until it says go, done or lost: waits while a former owner is on an entry."""
        while True:
            verdict = int(
                await self.redis.eval(
                    BEGIN,
                    3,
                    owned.lease.key,
                    self._inflight_key(entry.partition),
                    self._done_key(entry.partition, entry.update_id),
                    owned.lease.value or "",
                    owned.lease.ttl_ms,
                )
            )
            if verdict != _BUSY:
                return verdict
            if owned.stopping:
                return _LOST
            await asyncio.sleep(BUSY_POLL_SECONDS)

    async def _handle_fenced(self, entry: _Entry, owned: _Partition) -> bool:
        """Runs the handler while a heartbeat keeps the entry's mark; False if it lapsed
        (the handler is then cancelled)."""
        accepted_ms = int(entry.entry_id.split("-", 1)[0])
        INTAKE_WAIT.observe(max(0.0, time.time() - accepted_ms / 1000))
        handling = asyncio.create_task(self._run_handler(entry))
        key, value = self._inflight_key(entry.partition), owned.lease.value or ""
        try:
            while True:
                done, _ = await asyncio.wait({handling}, timeout=self.config.lease_seconds / 3)
                if done:
                    return True
                try:
                    renewed = await self.redis.eval(RENEW, 1, key, value, owned.lease.ttl_ms)
                except RedisError:  # the handler goes on: cancelling it could leave half an
                    continue  # answer; if only this worker lost Redis, see docs/scaling.md
                if not renewed:
                    logger.warning("intake: an entry outlived its mark; left to the new owner")
                    return False
        finally:  # lapsed, or this worker is going down: the entry is not finished here
            if not handling.done():
                handling.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await handling

    async def _run_handler(self, entry: _Entry) -> None:
        try:
            await self._handle(json.loads(entry.update or "{}"))
        except Exception:  # a defect: logged, and not handled again and again
            logger.exception("intake: an update could not be handled")

    async def _finish(self, entry: _Entry, owned: _Partition, handled: bool) -> None:
        """Remember the update as handled, acknowledge and delete the entry, lift the mark."""
        await self.redis.eval(
            FINISH,
            3,
            self._inflight_key(entry.partition),
            self._done_key(entry.partition, entry.update_id),
            self.stream(entry.partition),
            owned.lease.value or "",
            self.config.remember_seconds,
            GROUP,
            entry.entry_id,
            "1" if handled else "0",
        )


@dataclass(frozen=True)
class _Entry:
    partition: int
    entry_id: str
    update_id: int
    update: str | None


_LOST, _GO, _DONE, _BUSY = 0, 1, 2, 3
BUSY_POLL_SECONDS = 0.1

# KEYS: lease, inflight mark, done; ARGV: the owner's lease value, the lease's life (ms)
BEGIN = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('pexpire', KEYS[1], ARGV[2])
local marked = redis.call('get', KEYS[2])
if marked and marked ~= ARGV[1] then
  return 3
end
if redis.call('exists', KEYS[3]) == 1 then
  return 2
end
redis.call('set', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 1
"""
# KEYS: inflight mark, done, stream; ARGV: lease value, remember (s), group, entry, handled
FINISH = """
if ARGV[5] == '1' then
  redis.call('set', KEYS[2], '1', 'EX', ARGV[2])
end
redis.call('xack', KEYS[3], ARGV[3], ARGV[4])
redis.call('xdel', KEYS[3], ARGV[4])
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('del', KEYS[1])
end
return 1
"""


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
        """Stop between two entries (the one being handled is finished first), then give the
        lease back."""
        self.stopping = True
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.task
        with contextlib.suppress(RedisError):
            await self.lease.release()
