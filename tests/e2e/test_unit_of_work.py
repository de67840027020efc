"""One inbound message, one database session (`bot.kb.db`), on a real SQLite and PostgreSQL:
the router with the real stores and the assistant, Rasa replaced by a script. What it
stores is committed once after Rasa (and once before it), no connection waits while Rasa
thinks, and a message that fails half-way leaves nothing of its second half behind."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from sqlalchemy import event, func, select

from bot.conversation import CommitBeforeRasa, Conversation, ConversationConfig
from bot.core.assistant import Assistant, AssistantConfig
from bot.core.messages import Inbound, InboundKind
from bot.core.rasa_client import RasaAnswer
from bot.core.render import Renderer
from bot.core.users import UserStore
from bot.handoff.safeguarding import SafeguardingLexicon
from bot.i18n import Catalogs
from bot.kb.db import Database
from bot.kb.models import BotUser, UnansweredMessage
from bot.kb.unanswered import UnansweredLog
from bot.limits import MemoryLimits
from tests.support.databases import migrated_database
from tests.unit.fakes import FakeDesk, FakeDialogue, FakePrivacy, rasa_answer

PERSON = "a-pseudonym-of-the-unit-of-work"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with migrated_database(request.param, tmp_path_factory.mktemp("unit")) as url:
        yield url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    async with database.session() as session:
        user = await session.get(BotUser, PERSON)
        if user is not None:
            await session.delete(user)
        for question in await session.scalars(select(UnansweredMessage)):
            await session.delete(question)
        await session.commit()
    await database.dispose()


class Transactions:
    """Counts the transactions the engine begins, and the connections out of the pool."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.begun = 0
        event.listen(database.engine.sync_engine, "begin", self._begun)

    def _begun(self, _connection: Any) -> None:
        self.begun += 1

    @property
    def connections_out(self) -> int:
        return int(self.database.engine.pool.checkedout())  # type: ignore[attr-defined]


class WatchedDialogue(FakeDialogue):
    """Rasa, scripted: notes how many connections were out while it was asked."""

    def __init__(self, transactions: Transactions, *answers: RasaAnswer) -> None:
        super().__init__(list(answers))
        self.transactions = transactions
        self.connections_while_asked: list[int] = []

    def _answer(self, sender: str, message: str, metadata: dict[str, Any]) -> RasaAnswer:
        self.connections_while_asked.append(self.transactions.connections_out)
        return super()._answer(sender, message, metadata)


class ExplodingRenderer(Renderer):
    async def render(self, *_: Any) -> Any:
        raise RuntimeError("a defect in rendering")


def conversation(
    database: Database, dialogue: Any, units: bool, renderer: Any = None
) -> Conversation:
    users = UserStore(database)
    catalogs = Catalogs()
    rasa = CommitBeforeRasa(dialogue, database) if units else dialogue
    assistant = Assistant(
        AssistantConfig("it", 1000),
        users,
        rasa,
        renderer or Renderer(database),
        catalogs,
        UnansweredLog(database),
    )
    return Conversation(
        ConversationConfig("it"),
        users,
        catalogs,
        assistant,
        FakeDesk(),  # type: ignore[arg-type]
        SafeguardingLexicon.load(),
        MemoryLimits(),
        FakePrivacy(),  # type: ignore[arg-type]
        units=database if units else None,
    )


def text(words: str) -> Inbound:
    return Inbound(PERSON, "telegram", InboundKind.TEXT, words, language_hint="it")


async def misunderstood_in_a_row(database: Database) -> int:
    async with database.session() as session:
        user = await session.get(BotUser, PERSON)
        return user.misunderstood_in_a_row if user is not None else -1


async def unanswered(database: Database) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count(UnansweredMessage.id))) or 0)


@pytest.mark.parametrize("units", [False, True], ids=["a session per store call", "a unit of work"])
async def test_a_message_is_committed_once_after_rasa_and_no_connection_waits_on_rasa(
    database: Database, units: bool
) -> None:
    transactions = Transactions(database)
    dialogue = WatchedDialogue(
        transactions, rasa_answer("nlu_fallback"), rasa_answer("nlu_fallback")
    )
    router = conversation(database, dialogue, units)
    await router.handle(text("blorf quux"))  # a new person: created, then not understood
    before = transactions.begun
    await router.handle(text("quux blorf"))  # known: not understood again
    transactions_of_the_second = transactions.begun - before

    assert await misunderstood_in_a_row(database) == 0  # twice: a mediator offered, from 0
    assert await unanswered(database) == 2
    assert dialogue.connections_while_asked == [0, 0]
    assert transactions.connections_out == 0
    if units:  # one before Rasa (the person is read), one after it (everything it changed)
        assert transactions_of_the_second == 2
    else:  # each store call its own transaction
        assert transactions_of_the_second >= 3


async def test_a_message_that_fails_after_rasa_leaves_nothing_of_what_followed(
    database: Database,
) -> None:
    transactions = Transactions(database)
    dialogue = WatchedDialogue(
        transactions, rasa_answer("nlu_fallback", {"kind": "not_understood"})
    )
    router = conversation(database, dialogue, units=True, renderer=ExplodingRenderer(database))
    with pytest.raises(RuntimeError):
        await router.handle(text("blorf quux"))
    # the person (stored before Rasa was asked) stays; what the answer changed does not
    assert await misunderstood_in_a_row(database) == 0
    assert await unanswered(database) == 0
    assert transactions.connections_out == 0


async def test_a_unit_belongs_to_the_task_that_opened_it(database: Database) -> None:
    async with database.unit_of_work():
        async with database.session() as first, database.session() as second:
            assert first is second  # one session for the whole message

        async def elsewhere() -> bool:
            async with database.session() as own:
                return own is not first

        assert await asyncio.create_task(elsewhere())  # a task it started has its own
        other = Database(database.url)
        async with other.session() as foreign:
            assert foreign is not first  # another database is not joined
        await other.dispose()


async def test_what_a_unit_stored_is_seen_by_others_only_once_committed(
    database: Database,
) -> None:
    users = UserStore(database)
    async with database.unit_of_work():
        await users.get_or_create(PERSON, "telegram", "it")

        async def seen_elsewhere() -> bool:
            async with database.session() as session:
                return await session.get(BotUser, PERSON) is not None

        assert not await asyncio.create_task(seen_elsewhere())
        await database.checkpoint()
        assert await asyncio.create_task(seen_elsewhere())
