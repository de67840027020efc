"""Handoff benchmarks (part of `make bench`): with 20 cases open at once, the time from a
person's "Yes, connect me" to the case card in the mediators' forum topic, and the relay
latency each way; then a fault run that restarts the app and makes the Bot API answer 429
and 502 during the cases, counting messages lost or duplicated.

Runs the real app in-process against the Bot API double, with the real Rasa server and
action server on a SQLite knowledge base. Returns the report section as Markdown.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import aiohttp
from sqlalchemy import select

from bot.handoff.models import HandoffCase
from bot.kb.db import Database
from bot.pseudonym import Pseudonymizer
from tests.conftest import stack_settings, start_app
from tests.support import processes
from tests.support.staff import add_mediator
from tests.support.telegram_double import (
    MEDIATORS_CHAT_ID,
    BotApiDouble,
    BotCall,
    TelegramUser,
)

PASSWORD = "bench password 0123456789"
CASES = 20
ROUNDS = 5
FAULT_ROUNDS = 6
RATE_LIMITED = {
    "ok": False,
    "error_code": 429,
    "description": "Too Many Requests: retry after 1",
    "parameters": {"retry_after": 1},
}
BAD_GATEWAY = {"ok": False, "error_code": 502, "description": "Bad Gateway"}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def copies_of(calls: list[BotCall], to: int, source: int) -> list[BotCall]:
    return [
        c
        for c in calls
        if c.method == "copyMessage"
        and not c.failed
        and int(c.params["chat_id"]) == to
        and int(c.params["from_chat_id"]) == source
    ]


async def wait(double: BotApiDouble, condition: object, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark step timed out")
        await asyncio.sleep(0.005)


class HandoffBench:
    def __init__(
        self, double: BotApiDouble, database: Database, pseudonymize: Pseudonymizer
    ) -> None:
        self.double = double
        self.database = database
        self.pseudonymize = pseudonymize
        self.people: list[TelegramUser] = []
        self.threads: dict[int, int] = {}  # person id -> forum thread
        self.mediator: TelegramUser | None = None

    async def console_listener(self, web_url: str, username: str, password: str) -> None:
        """A signed-in console page's WebSocket: notes when it hears of each case."""
        self.console_heard: dict[int, float] = {}
        jar = aiohttp.CookieJar(unsafe=True)
        self._client = aiohttp.ClientSession(cookie_jar=jar)
        async with self._client.get(web_url + "/console/login") as page:
            token = (await page.text()).split('name="csrf" value="')[1].split('"')[0]
        form = {"csrf": token, "username": username, "password": password}
        async with self._client.post(web_url + "/console/login", data=form) as response:
            assert response.status == 200, response.status
        socket = await self._client.ws_connect(web_url.replace("http", "ws") + "/console/live")

        async def listen() -> None:
            async for message in socket:
                case_id = int(message.json()["case"])
                self.console_heard.setdefault(case_id, time.perf_counter())

        self._listener = asyncio.create_task(listen())

    async def close(self) -> None:
        self._listener.cancel()
        await self._client.close()

    async def open_cases(self) -> list[float]:
        """Every person taps "Yes, connect me" at once; time until their case card is posted."""
        mediator = await add_mediator(self.database, ["it"], name="Bench", password=PASSWORD)
        assert mediator.telegram_user_id is not None
        self.mediator = TelegramUser(mediator.telegram_user_id, first_name="Bench")
        self.double.group_members.add(self.mediator.id)
        self.people = [TelegramUser(7_000_000 + i, language_code="it") for i in range(CASES)]
        for person in self.people:  # known users, so the bench measures the handoff only
            self.double.send_text(person, "/start")
        await wait(self.double, lambda: all(self.double.sent_to(p.id) for p in self.people))
        started = {}
        for person in self.people:
            started[person.id] = time.perf_counter()
            self.double.press(person, "ho:yes:job")
        await wait(self.double, lambda: len(self.take_buttons()) >= CASES)
        cards = self.take_buttons()
        async with self.database.session() as session:
            cases = {
                case.id: case.user_pseudonym
                for case in await session.scalars(
                    select(HandoffCase).where(HandoffCase.id.in_(list(cards)))
                )
            }
        by_pseudonym = {self.pseudonymize("telegram", p.id): p for p in self.people}
        latencies = []
        self.console_latencies: list[float] = []
        self.case_ids: dict[int, int] = {}
        for case_id, (thread, posted_at) in cards.items():
            person = by_pseudonym[cases[case_id]]
            self.threads[person.id] = thread
            self.case_ids[person.id] = case_id
            latencies.append((posted_at - started[person.id]) * 1000)
            heard = self.console_heard.get(case_id)
            if heard is not None:
                self.console_latencies.append((heard - started[person.id]) * 1000)
        for person in self.people:
            self.double.press_in_group(
                self.mediator,
                f"case:take:{self.case_ids[person.id]}",
                self.threads[person.id],
            )
        await wait(
            self.double, lambda: all(len(self.double.sent_to(p.id)) >= 4 for p in self.people)
        )
        return latencies

    def take_buttons(self) -> dict[int, tuple[int, float]]:
        """case id -> (forum thread, when its card was posted)"""
        found = {}
        for call in self.double.calls:
            if call.method != "sendMessage" or call.chat_id != MEDIATORS_CHAT_ID:
                continue
            for button in call.buttons:
                data = str(button.get("callback_data", ""))
                if data.startswith("case:take:"):
                    found[int(data.split(":")[2])] = (
                        int(call.params["message_thread_id"]),
                        call.received_at,
                    )
        return found

    async def relay_round(self, label: str) -> tuple[list[float], list[float]]:
        """All people write at once, then all mediators answer at once."""
        assert self.mediator is not None
        to_mediators, to_people = [], []
        pushed = {}
        for person in self.people:
            before = len(copies_of(self.double.calls, MEDIATORS_CHAT_ID, person.id))
            pushed[person.id] = (time.perf_counter(), before)
            self.double.send_text(person, f"{label} da {person.id}")
        await wait(
            self.double,
            lambda: all(
                len(copies_of(self.double.calls, MEDIATORS_CHAT_ID, p.id)) > pushed[p.id][1]
                for p in self.people
            ),
        )
        for person in self.people:
            arrived = copies_of(self.double.calls, MEDIATORS_CHAT_ID, person.id)[-1].received_at
            to_mediators.append((arrived - pushed[person.id][0]) * 1000)
        pushed = {}
        for person in self.people:
            before = len(copies_of(self.double.calls, person.id, MEDIATORS_CHAT_ID))
            pushed[person.id] = (time.perf_counter(), before)
            self.double.send_in_topic(
                self.mediator, self.threads[person.id], text=f"{label} risposta"
            )
        await wait(
            self.double,
            lambda: all(
                len(copies_of(self.double.calls, p.id, MEDIATORS_CHAT_ID)) > pushed[p.id][1]
                for p in self.people
            ),
        )
        for person in self.people:
            arrived = copies_of(self.double.calls, person.id, MEDIATORS_CHAT_ID)[-1].received_at
            to_people.append((arrived - pushed[person.id][0]) * 1000)
        return to_mediators, to_people


async def run(rasa: processes.RasaServer, workdir: Path) -> str:
    """Needs a running Rasa server. Uses a database of its own (no other relay touches it)."""
    database_url = f"sqlite+aiosqlite:///{workdir / 'handoff.db'}"
    processes.prepare_database(database_url)
    double = BotApiDouble()
    await double.start()
    settings = stack_settings(rasa, database_url, double, workdir)
    settings.handoff_escalate_after_minutes = 60
    runner = await start_app(settings)
    database = Database(database_url)
    key = settings.pseudonym_key.get_secret_value().encode() if settings.pseudonym_key else b""
    bench = HandoffBench(double, database, Pseudonymizer(key))
    console = await add_mediator(database, ["it"], name="Console", password=PASSWORD)
    await bench.console_listener(
        f"http://127.0.0.1:{settings.web_port}", console.username, PASSWORD
    )
    notified = await bench.open_cases()
    up, down = [], []
    for round_number in range(ROUNDS):
        to_mediators, to_people = await bench.relay_round(f"giro {round_number}")
        up += to_mediators
        down += to_people
    # the fault run: every relay first meets a 429 and a 502; the app restarts midway
    before_up = Counter(
        int(c.params["message_id"])
        for p in bench.people
        for c in copies_of(double.calls, MEDIATORS_CHAT_ID, p.id)
    )
    sent_up = sent_down = 0
    assert bench.mediator is not None
    for round_number in range(FAULT_ROUNDS):
        for error in (RATE_LIMITED, BAD_GATEWAY):
            double.fail_next.append(("copyMessage", int(error["error_code"]), error))
        for person in bench.people[:5]:
            double.send_text(person, f"guasto {round_number}")
            double.send_in_topic(
                bench.mediator, bench.threads[person.id], text=f"guasto {round_number}"
            )
            sent_up += 1
            sent_down += 1
        if round_number == FAULT_ROUNDS // 2:
            await runner.cleanup()
            runner = await start_app(settings)
    await asyncio.sleep(1)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        up_now = Counter(
            int(c.params["message_id"])
            for p in bench.people
            for c in copies_of(double.calls, MEDIATORS_CHAT_ID, p.id)
        )
        down_now = Counter(
            int(c.params["message_id"])
            for p in bench.people
            for c in copies_of(double.calls, p.id, MEDIATORS_CHAT_ID)
        )
        fault_up = up_now - before_up
        fault_down = Counter({k: v for k, v in down_now.items()})
        if len(fault_up) >= sent_up and sum(1 for _ in fault_down) >= (ROUNDS * CASES + sent_down):
            break
        await asyncio.sleep(0.5)
    await asyncio.sleep(3)  # any duplicate would arrive now
    up_now = Counter(
        int(c.params["message_id"])
        for p in bench.people
        for c in copies_of(double.calls, MEDIATORS_CHAT_ID, p.id)
    )
    down_now = Counter(
        int(c.params["message_id"])
        for p in bench.people
        for c in copies_of(double.calls, p.id, MEDIATORS_CHAT_ID)
    )
    fault_up = up_now - before_up
    lost = max(0, sent_up - len(fault_up)) + max(0, ROUNDS * CASES + sent_down - len(down_now))
    duplicated = sum(v - 1 for v in up_now.values()) + sum(v - 1 for v in down_now.values())
    errors = sum(1 for c in double.calls if c.failed)
    await runner.cleanup()
    await database.dispose()
    await double.stop()
    await bench.close()
    return render(
        notified, bench.console_latencies, up, down, sent_up + sent_down, lost, duplicated, errors
    )


def render(
    notified: list[float],
    console: list[float],
    up: list[float],
    down: list[float],
    fault_messages: int,
    lost: int,
    duplicated: int,
    errors: int,
) -> str:
    def row(name: str, values: list[float]) -> str:
        return (
            f"| {name} | {len(values)} | {statistics.median(values):.0f} | {pct(values, 95):.0f} "
            f"| {max(values):.0f} |"
        )

    return "\n".join(
        [
            "## Handoff to mediators",
            "",
            f"{CASES} cases open at once, one mediator in the forum supergroup (Bot API double). "
            '*Notified*: from the person\'s tap on "Yes, connect me" to the case card (with '
            '"Take case") posted in the new forum topic. *Person → mediators*: from the person\'s '
            "message being available in `getUpdates` to its `copyMessage` into the topic. "
            "*Mediator → person*: from the mediator's message in the topic to its `copyMessage` "
            f"into the person's chat. {ROUNDS} rounds in which all {CASES} people write at once, "
            f"then all {CASES} mediators' replies at once. The double has no flood limit, so "
            "the bot runs with `TELEGRAM_GROUP_MESSAGES_PER_MINUTE=600`: these are the bot's "
            "own delays. Against Telegram, 20 messages a minute in one group apply (the "
            "default): 20 new cases at once are a topic and a card each, 40 group messages, so "
            "the last topic opens about two minutes after the first, and a busy group's relay "
            "queues the same way; the web console is not limited.",
            "",
            "| measure | samples | p50 (ms) | p95 (ms) | max (ms) |",
            "|---|---|---|---|---|",
            row("request → web console told (WebSocket)", console),
            row("request → Telegram topic with the case card", notified),
            row("person → mediators", up),
            row("mediator → person", down),
            "",
            f"Fault run: {fault_messages} messages both ways while every relay first gets a 429 "
            f"(retry_after 1 s) and a 502, and the app is restarted midway ({errors} error "
            f"answers served): **{lost} lost, {duplicated} duplicated**.",
            "",
        ]
    )


async def standalone() -> str:
    workdir = Path(tempfile.mkdtemp(prefix="bench-handoff-"))
    database_url = f"sqlite+aiosqlite:///{workdir / 'assistant.db'}"
    processes.prepare_database(database_url)
    with ExitStack() as stack:
        rasa = stack.enter_context(processes.rasa_server(workdir))
        stack.enter_context(
            processes.action_server(rasa.action_port, database_url, workdir / "actions.log")
        )
        return await run(rasa, workdir)


if __name__ == "__main__":
    print(asyncio.run(standalone()))
