"""The handoff desk's rules on a throwaway SQLite file: who gets a case, and who may act on
one. No Rasa, no HTTP, no Telegram."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.commands import Command
from bot.core.messages import Inbound, InboundKind
from bot.core.users import Profile, UserStore
from bot.handoff import texts
from bot.handoff.addresses import AddressBox
from bot.handoff.cases import CaseStore
from bot.handoff.desk import CaseRefused, DeskConfig, HandoffDesk
from bot.handoff.events import CaseEvents
from bot.handoff.models import CaseAction, CaseStatus
from bot.i18n import Catalogs, Localizer
from bot.staff.models import Role, StaffAccount
from tests.unit.fakes import throwaway_database

PERSON = "s" * 16


class Bench:
    def __init__(self, directory: Path) -> None:
        self.database = throwaway_database(directory)
        self.cases = CaseStore(self.database)
        self.users = UserStore(self.database)
        self.pokes = 0
        self.desk = HandoffDesk(
            DeskConfig(),
            self.cases,
            self.users,
            self.database,
            AddressBox(b"k" * 32),
            CaseEvents(),
            self.poke,
        )
        self.loc: Localizer = Catalogs().localizer("fr")

    def poke(self) -> None:
        self.pokes += 1

    async def profile(self) -> Profile:
        return await self.users.get_or_create(PERSON, "telegram", "fr")

    def inbound(self, text: str = "", kind: InboundKind = InboundKind.TEXT) -> Inbound:
        command = Command(text.lstrip("/")) if kind == InboundKind.COMMAND else None
        return Inbound(PERSON, "telegram", kind, text, command=command, address="77")

    async def open_a_case(self) -> int:
        await self.desk.offer(await self.profile(), self.loc, "housing")
        await self.desk.confirm(await self.profile(), self.loc, "housing", self.inbound())
        case = await self.desk.open_case(PERSON)
        assert case is not None
        return case.id

    async def staff(self, username: str, role: Role = Role.MEDIATOR) -> StaffAccount:
        return await self.cases.add_staff(
            StaffAccount(username=username, display_name=username, role=role, languages=["fr"])
        )


@pytest.fixture
async def bench(tmp_path: Path) -> AsyncIterator[Bench]:
    made = Bench(tmp_path)
    yield made
    await made.database.dispose()


async def test_a_yes_without_an_offer_gets_the_offer_and_no_case(bench: Bench) -> None:
    answer = await bench.desk.confirm(await bench.profile(), bench.loc, "job", bench.inbound())
    assert await bench.desk.open_case(PERSON) is None
    assert len(answer) == 1 and answer[0].buttons  # the offer again, with its yes/no


async def test_after_the_offer_yes_opens_one_case_and_only_one(bench: Bench) -> None:
    first = await bench.open_a_case()
    await bench.desk.offer(await bench.profile(), bench.loc, "job")
    await bench.desk.confirm(await bench.profile(), bench.loc, "job", bench.inbound())
    case = await bench.desk.open_case(PERSON)
    assert case is not None and case.id == first and case.topic == "housing"
    assert case.status in (CaseStatus.DRAFT, CaseStatus.WAITING)


async def test_buttons_and_commands_during_a_case_get_a_reminder(bench: Bench) -> None:
    case_id = await bench.open_a_case()
    await bench.cases.update(case_id, status=CaseStatus.WAITING)
    case = await bench.desk.open_case(PERSON)
    assert case is not None
    answer = await bench.desk.on_inbound(
        case, bench.inbound("/menu", InboundKind.COMMAND), await bench.profile(), bench.loc
    )
    assert [str(m.text) for m in answer] == [
        str(m.text) for m in texts.in_handoff_reminder(bench.loc)
    ]
    assert await bench.cases.messages(case_id) == []  # not passed on to the mediators


async def test_a_mediator_cannot_take_a_case_away_from_a_colleague(bench: Bench) -> None:
    case_id = await bench.open_a_case()
    await bench.cases.update(case_id, status=CaseStatus.WAITING)
    holder, colleague = await bench.staff("holder"), await bench.staff("colleague")
    assert await bench.desk.take(case_id, holder)
    assert not await bench.desk.take(case_id, colleague)  # already taken
    for act in (
        lambda: bench.desk.transfer(case_id, colleague, "ar", None),
        lambda: bench.desk.release(case_id, colleague),
        lambda: bench.desk.close(case_id, colleague, "solved"),
    ):
        with pytest.raises(CaseRefused) as refused:
            await act()
        assert refused.value.holder == "holder"
    case = await bench.cases.get(case_id)
    assert case is not None and case.status == CaseStatus.ACTIVE and case.language == "fr"
    refusals = [e for e in await bench.cases.history(case_id) if e.refused]
    assert [e.action for e in refusals] == [
        CaseAction.TRANSFERRED,
        CaseAction.RELEASED,
        CaseAction.CLOSED,
    ]


async def test_the_holder_and_an_administrator_may_act(bench: Bench) -> None:
    case_id = await bench.open_a_case()
    await bench.cases.update(case_id, status=CaseStatus.WAITING)
    holder = await bench.staff("holder")
    admin = await bench.staff("admin", Role.ADMINISTRATOR)
    assert await bench.desk.take(case_id, holder)
    assert await bench.desk.transfer(case_id, holder, "ar", None)
    case = await bench.cases.get(case_id)
    assert case is not None and case.status == CaseStatus.WAITING and case.language == "ar"
    assert await bench.desk.close(case_id, admin, "solved")
    assert await bench.desk.open_case(PERSON) is None
