"""The handoff relay's delivery rules, with fake channels (a person's channel, the
mediators' board) in front of a case store on a throwaway SQLite file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.core.markup import Markup
from bot.core.messages import Outbound
from bot.handoff.addresses import AddressBox
from bot.handoff.cases import CaseStore, NewMessage
from bot.handoff.events import CaseEvents
from bot.handoff.models import CaseMessage, CaseStatus, HandoffCase, Sender
from bot.handoff.relay import (
    PermanentDeliveryError,
    Relay,
    RelayConfig,
    TransientDeliveryError,
)
from bot.i18n import Catalogs
from bot.kb.models import BotUser
from tests.unit.fakes import throwaway_database

ADDRESS = "4242"


@dataclass
class FakePerson:
    """A person's channel: what reached them, and failures to play back first."""

    received: list[str] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)

    async def send(self, address: str, messages: Sequence[Outbound]) -> None:
        self._fail_or(address, [str(message.text) for message in messages])

    async def relay_to_person(self, address: str, message: CaseMessage) -> None:
        self._fail_or(address, [message.text])

    def _fail_or(self, address: str, texts: list[str]) -> None:
        assert address == ADDRESS  # the sealed address was opened for delivery
        if self.failures:
            raise self.failures.pop(0)
        self.received += texts


@dataclass
class FakeBoard:
    """The mediators' group: topics opened, messages relayed into them, failures first."""

    topics: list[int] = field(default_factory=list)
    relayed: list[str] = field(default_factory=list)
    mirrored: list[str] = field(default_factory=list)
    failures: list[Exception] = field(default_factory=list)

    def _maybe_fail(self) -> None:
        if self.failures:
            raise self.failures.pop(0)

    async def announce(self, case: HandoffCase, card: Markup) -> int | None:
        self._maybe_fail()
        self.topics.append(case.id)
        return 1000 + case.id

    async def relay_from_person(
        self, case: HandoffCase, message: CaseMessage, address: str | None
    ) -> None:
        self._maybe_fail()
        self.relayed.append(message.text)

    async def mirror(self, case: HandoffCase, message: CaseMessage) -> None:
        self.mirrored.append(message.text)

    async def notify(self, case: HandoffCase, text: Markup) -> None:
        return None

    async def close_topic(self, case: HandoffCase, text: Markup) -> None:
        return None

    async def escalate(self, case: HandoffCase, text: Markup) -> None:
        return None


class Bench:
    def __init__(self, directory: Path) -> None:
        self.database = throwaway_database(directory)
        self.cases = CaseStore(self.database)
        self.addresses = AddressBox(b"k" * 32)
        self.person, self.board = FakePerson(), FakeBoard()

        async def no_recent_texts(_: str) -> list[str]:
            return []

        self.relay = Relay(
            RelayConfig(max_attempts=3),
            self.cases,
            self.addresses,
            Catalogs(),
            CaseEvents(),
            no_recent_texts,
        )
        self.relay.people["telegram"] = self.person
        self.relay.board = self.board

    async def open_case(self) -> HandoffCase:
        async with self.database.session() as session:
            session.add(BotUser(pseudonym="r" * 16, channel="telegram", language="uk"))
            await session.commit()
        return await self.cases.create(
            HandoffCase(
                user_pseudonym="r" * 16,
                channel="telegram",
                delivery_address=self.addresses.seal(ADDRESS),
                language="uk",
                status=CaseStatus.WAITING,
            )
        )

    async def write(self, case: HandoffCase, sender: Sender, *lines: str) -> None:
        for n, line in enumerate(lines):
            await self.cases.add_message(case.id, NewMessage(sender, f"t:{line}:{n}", "text", line))

    async def round(self) -> None:
        await self.relay.run_once()
        for lane in list(self.relay._lanes.values()):
            await lane


@pytest.fixture
async def bench(tmp_path: Path) -> Bench:
    made = Bench(tmp_path)
    yield made  # type: ignore[misc]
    await made.database.dispose()


async def test_the_case_card_comes_before_the_persons_messages(bench: Bench) -> None:
    case = await bench.open_case()
    await bench.write(case, Sender.PERSON, "one", "two", "three")
    bench.board.failures.append(TransientDeliveryError("group unreachable"))
    await bench.round()
    assert bench.board.topics == [] and bench.board.relayed == []  # nothing before the card
    await bench.round()
    await bench.round()
    assert bench.board.topics == [case.id]
    assert bench.board.relayed == ["one", "two", "three"]


async def test_a_failed_message_holds_back_the_ones_after_it(bench: Bench) -> None:
    case = await bench.open_case()
    await bench.round()  # announced
    await bench.write(case, Sender.MEDIATOR, "first", "second")
    bench.person.failures.append(TransientDeliveryError("timeout"))
    await bench.round()
    assert bench.person.received == []  # "second" did not overtake "first"
    await bench.round()
    assert bench.person.received == ["first", "second"]
    assert bench.board.mirrored == ["first", "second"]  # console replies shown in the topic


async def test_a_message_that_can_never_be_delivered_does_not_block_the_lane(
    bench: Bench,
) -> None:
    case = await bench.open_case()
    await bench.round()
    await bench.write(case, Sender.MEDIATOR, "blocked", "next")
    bench.person.failures.append(PermanentDeliveryError("the person blocked the bot"))
    await bench.round()
    assert bench.person.received == ["next"]


async def test_after_the_last_attempt_the_relay_gives_up_and_goes_on(bench: Bench) -> None:
    case = await bench.open_case()
    await bench.round()
    await bench.write(case, Sender.MEDIATOR, "doomed", "after")
    bench.person.failures += [TransientDeliveryError("timeout")] * 3
    for _ in range(3):
        await bench.round()
    assert bench.person.received == ["after"]


async def test_a_taken_case_is_told_to_the_person_once(bench: Bench) -> None:
    case = await bench.open_case()
    await bench.cases.update(case.id, status=CaseStatus.ACTIVE)
    await bench.round()
    await bench.round()
    assert len(bench.person.received) == 1  # "a mediator is with you", in Ukrainian
