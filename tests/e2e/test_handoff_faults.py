"""A case survives an app restart and Bot API errors (429 with retry_after, 502): every
message either way is delivered exactly once."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.kb.db import Database
from tests.conftest import Chat, stack_settings, start_app
from tests.e2e.test_handoff import at_least, copies
from tests.support import processes
from tests.support.databases import postgres_database, sqlite_database
from tests.support.staff import add_mediator
from tests.support.telegram_double import MEDIATORS_CHAT_ID, BotApiDouble, BotCall, TelegramUser

RATE_LIMITED = {
    "ok": False,
    "error_code": 429,
    "description": "Too Many Requests: retry after 1",
    "parameters": {"retry_after": 1},
}
BAD_GATEWAY = {"ok": False, "error_code": 502, "description": "Bad Gateway"}
ROUNDS = 4


@pytest.fixture
def own_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database of its own, same backend: the shared app's relay must not deliver here."""
    backend = postgres_database() if "postgresql" in database_url else sqlite_database(tmp_path)
    with backend as url:
        processes.prepare_database(url)
        yield url


@pytest.fixture
async def own_double() -> AsyncIterator[BotApiDouble]:
    """A Bot API double of its own: the shared app must not poll this test's updates."""
    double = BotApiDouble()
    await double.start()
    yield double
    await double.stop()


def delivered_once(calls: list[BotCall], to: int, source: int) -> Counter[int]:
    return Counter(int(c.params["message_id"]) for c in copies(calls, to=to, source=source))


async def test_restart_and_api_errors_lose_and_duplicate_nothing(
    rasa: processes.RasaServer,
    action_server: None,
    own_database: str,
    own_double: BotApiDouble,
    tmp_path: Path,
) -> None:
    settings = stack_settings(rasa, own_database, own_double, tmp_path)
    runner = await start_app(settings)
    database = Database(own_database)
    mediator = await add_mediator(database, ["it"], name="Paola")
    assert mediator.telegram_user_id is not None
    mediator_user = TelegramUser(mediator.telegram_user_id, first_name="Paola")
    own_double.group_members.add(mediator_user.id)
    person = Chat(own_double, "it")
    await person.say("/start", expect=2)
    offer = (await person.press("human"))[-1]
    await person.press(offer.button("✅")["callback_data"])
    await person.say("ho bisogno di aiuto con il contratto di affitto")
    topic = await own_double.wait_for(
        lambda calls: [c for c in calls if c.method == "createForumTopic"], what="a topic"
    )
    thread = next(iter(own_double.topics))
    case_id = int(str(topic[0].params["name"]).split(" · ")[0].lstrip("🚨 #"))
    before = len(own_double.sent_to(person.user.id))
    own_double.press_in_group(mediator_user, f"case:take:{case_id}", thread)
    await own_double.replies(person.user.id, before, count=1)

    for round_number in range(ROUNDS):
        # every relay meets a rate limit and a bad gateway first
        for method_error in (RATE_LIMITED, BAD_GATEWAY):
            own_double.fail_next.append(("copyMessage", method_error["error_code"], method_error))
        own_double.send_text(person.user, f"messaggio {round_number}")
        own_double.send_in_topic(mediator_user, thread, text=f"risposta {round_number}")
        if round_number == 1:  # restart the app in the middle of the case
            await runner.cleanup()
            runner = await start_app(settings)
    # the one-line description is relayed too: ROUNDS + 1 messages from the person
    await own_double.wait_for(
        at_least(
            ROUNDS + 1, lambda calls: copies(calls, to=MEDIATORS_CHAT_ID, source=person.user.id)
        ),
        timeout=60,
        what="every person message relayed",
    )
    await own_double.wait_for(
        at_least(ROUNDS, lambda calls: copies(calls, to=person.user.id, source=MEDIATORS_CHAT_ID)),
        timeout=60,
        what="every mediator message relayed",
    )
    # a last message each way, relayed after everything else in its lane: any duplicate of
    # an earlier one would have been sent before it
    own_double.send_text(person.user, "grazie, è tutto")
    own_double.send_in_topic(mediator_user, thread, text="prego")
    await own_double.wait_for(
        at_least(
            ROUNDS + 2, lambda calls: copies(calls, to=MEDIATORS_CHAT_ID, source=person.user.id)
        ),
        timeout=60,
        what="the last person message relayed",
    )
    await own_double.wait_for(
        at_least(
            ROUNDS + 1, lambda calls: copies(calls, to=person.user.id, source=MEDIATORS_CHAT_ID)
        ),
        timeout=60,
        what="the last mediator message relayed",
    )
    to_mediators = delivered_once(own_double.calls, MEDIATORS_CHAT_ID, person.user.id)
    to_person = delivered_once(own_double.calls, person.user.id, MEDIATORS_CHAT_ID)
    assert len(to_mediators) == ROUNDS + 2 and set(to_mediators.values()) == {1}
    assert len(to_person) == ROUNDS + 1 and set(to_person.values()) == {1}
    assert any(c.failed for c in own_double.calls)  # the errors did happen
    await runner.cleanup()
    await database.dispose()
