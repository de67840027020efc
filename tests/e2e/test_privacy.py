"""The person's privacy, end to end (issue 12): the notice, /mydata, /forget, texts
encrypted at rest, and the staff's accountability. On SQLite and on PostgreSQL.

After `/forget`, every table of the app's database and Rasa's tracker store is searched
for the person's pseudonym and for unique markers they (and their mediator) wrote; on
SQLite the raw bytes of the database files (write-ahead log included) are searched too.
Each search is first shown to find them, before the erasure.
"""

from __future__ import annotations

import base64
import html
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import psycopg2
from sqlalchemy import create_engine, func, inspect, select, text

from bot.handoff.models import CaseNote, HandoffCase
from bot.i18n import SUPPORTED_LANGUAGES
from bot.kb.models import BotUser, UnansweredMessage
from bot.privacy.models import PrivacyAction, PrivacyLogEntry
from bot.staff.models import Role
from rasa_components.sealing import TextSealer, is_sealed
from tests.conftest import Chat, Stack, ends_with_follow_ups
from tests.e2e.test_bad_input import NOT_UNDERSTOOD, OUT_OF_SCOPE
from tests.e2e.test_handoff import open_case, pseudonym, request_handoff, topic_of
from tests.support import processes
from tests.support.expect import plain, translated
from tests.support.staff import add_mediator, add_staff
from tests.support.staff_http import StaffClient
from tests.support.telegram_double import MEDIATORS_CHAT_ID, BotCall, TelegramUser

PASSWORD = "correct horse battery staple"
FORGET_QUESTION = (
    "Do you want to delete everything this service keeps about you? Your messages, your "
    "requests to mediators and your settings will be deleted. This cannot be undone."
)
FORGOTTEN = (
    "Everything this service kept about you has been deleted. If you write again, we start "
    "from zero."
)
NOTHING = "This service keeps nothing about you: there is nothing to delete."
CASE_OPEN = (
    "You are talking with a mediator now: the conversation will end, and the mediator will "
    "be told that you left."
)
NOTICE_START = "Privacy: this service is run by {controller}."


def markers(count: int) -> list[str]:
    """Words nobody else writes, to be searched for."""
    return [f"zq{uuid.uuid4().hex[:12]}" for _ in range(count)]


# --- searching everywhere -----------------------------------------------------------------


def app_rows(stack: Stack) -> list[str]:
    """Every value of every row of every table of the app's database, as text (sealed
    values opened with the deployment's key, and also as stored)."""
    sealer = stack.database.sealer
    engine = create_engine(stack.settings.sync_database_url)
    values: list[str] = []
    try:
        with engine.connect() as connection:
            for table in inspect(engine).get_table_names():
                for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                    for value in row:
                        values.append(str(value))
                        if sealer and isinstance(value, str) and is_sealed(value):
                            values.append(sealer.open(value))
    finally:
        engine.dispose()
    return values


def tracker_rows(rasa: processes.RasaServer) -> list[str]:
    """Every event of Rasa's tracker store, its data opened with Rasa's key."""
    assert rasa.text_key_file is not None
    sealer = TextSealer.from_file(rasa.text_key_file)
    engine = create_engine(rasa.tracker_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT sender_id, data FROM events")).all()
    finally:
        engine.dispose()
    return [value for sender, data in rows for value in (sender, sealer.open(data or ""))]


def found(values: list[str], needles: list[str]) -> list[str]:
    return [needle for needle in needles if any(needle in value for value in values)]


def sqlite_files(stack: Stack) -> list[Path]:
    if not stack.settings.database_url.startswith("sqlite"):
        return []
    path = Path(stack.settings.database_url.split(":///", 1)[1])
    return [p for p in (path, path.with_name(path.name + "-wal")) if p.exists()]


def raw_bytes_contain(files: list[Path], needles: list[str]) -> list[str]:
    content = b"".join(file.read_bytes() for file in files)
    return [needle for needle in needles if needle.encode() in content]


def database_dump(stack: Stack) -> str:
    """What a backup holds: `pg_dump`, or SQLite's dump of every row."""
    url = stack.settings.sync_database_url
    if url.startswith("sqlite"):
        result = subprocess.run(
            ["sqlite3", url.split(":///", 1)[1], ".dump"], capture_output=True, check=True
        )
        return result.stdout.decode(errors="replace")
    name = url.rsplit("/", 1)[1]
    result = subprocess.run(
        ["pg_dump", "-h", "127.0.0.1", "-U", "postgres", name], capture_output=True, check=True
    )
    return result.stdout.decode(errors="replace")


# --- a conversation worth erasing ---------------------------------------------------------


async def converse(stack: Stack, person: Chat, words: list[str]) -> tuple[int, int, TelegramUser]:
    """A question, a question the bot does not understand, a handoff with messages both
    ways, a mediator's note, the close and a rating. Returns (case, topic, mediator)."""
    question, nonsense, summary, to_mediator, from_mediator, note = words
    telegram = stack.telegram
    await person.say("/start", expect=2)
    await person.say(f"I am looking for a job in Rome {question}", expect=ends_with_follow_ups)
    await person.say(f"xqzv brrp {nonsense} klmn", expect=1)
    mediator = await add_mediator(stack.database, ["en"], name="Grace")
    assert mediator.telegram_user_id is not None
    mediator_user = TelegramUser(mediator.telegram_user_id, first_name="Grace")
    telegram.group_members.add(mediator_user.id)
    await request_handoff(person, "en", None)  # the topic is known: no description asked
    case = await open_case(stack, person)
    thread = await topic_of(stack, case.id)
    before = len(telegram.sent_to(person.user.id))
    telegram.press_in_group(mediator_user, f"case:take:{case.id}", thread)
    await telegram.replies(person.user.id, before, count=1)
    telegram.send_text(person.user, f"my landlord wants me out {summary}")
    telegram.send_text(person.user, f"I have a contract {to_mediator}")
    telegram.send_in_topic(mediator_user, thread, text=f"Send me a photo of it {from_mediator}")
    await telegram.wait_for(
        lambda calls: [
            c for c in calls if c.method == "copyMessage" and c.chat_id == person.user.id
        ],
        what="the mediator's message relayed to the person",
    )
    async with stack.database.session() as session:
        session.add(CaseNote(case_id=case.id, author_id=mediator.id, text=f"note {note}"))
        await session.commit()
    replies_before = len(telegram.sent_to(person.user.id))
    telegram.send_in_topic(mediator_user, thread, text="/close resolved")
    closed = await telegram.replies(person.user.id, replies_before, count=2)
    await person.press(closed[-1].button("⭐⭐⭐⭐⭐")["callback_data"])
    async with stack.database.session() as session:
        stored = await session.get(HandoffCase, case.id)
        assert stored is not None and stored.rating == 5
        unanswered = await session.scalar(
            select(func.count())
            .select_from(UnansweredMessage)
            .where(UnansweredMessage.user_pseudonym == pseudonym(stack, person))
        )
        assert unanswered, "the nonsense was not kept as an unanswered question"
    return case.id, thread, mediator_user


async def ask_to_forget(person: Chat, case_open: bool = False) -> BotCall:
    (question,) = await person.say("/forget")
    assert translated(person.user.language_code or "en", FORGET_QUESTION) in plain(question.text)
    assert (CASE_OPEN in plain(question.text)) == case_open
    confirm, cancel = question.buttons  # confirm first, cancel second
    assert confirm["callback_data"] == "forget:yes" and cancel["callback_data"] == "forget:no"
    return question


# --- the tests ----------------------------------------------------------------------------


async def test_forget_erases_everything_everywhere_and_leaves_no_trace_in_the_files(
    stack: Stack, chat_factory: Any, rasa: processes.RasaServer
) -> None:
    person = chat_factory("en")
    words = markers(6)
    case_id, thread, _ = await converse(stack, person, words)
    who = pseudonym(stack, person)
    needles = [who, *words]
    # the searches find what is there before the erasure (the understood question is kept
    # only in Rasa's tracker)
    assert found(app_rows(stack), needles) == [who, *words[1:]]
    assert found(tracker_rows(rasa), [who, words[0], words[1]]) == [who, words[0], words[1]]
    files = sqlite_files(stack)
    if files:
        assert raw_bytes_contain(files, [who]) == [who]

    await ask_to_forget(person)
    (done,) = await person.press("forget:yes")
    assert translated("en", FORGOTTEN) in plain(done.text)

    await stack.telegram.wait_for(
        lambda calls: [
            c
            for c in calls
            if c.method == "deleteForumTopic" and int(c.params["message_thread_id"]) == thread
        ],
        what="the case's topic deleted",
    )
    assert stack.telegram.topics[thread].get("deleted")
    assert found(app_rows(stack), needles) == []
    assert found(tracker_rows(rasa), needles) == []
    if files:  # SQLite: not in free pages, not in the write-ahead log
        assert raw_bytes_contain(sqlite_files(stack), needles) == []
    async with stack.database.session() as session:
        assert await session.get(HandoffCase, case_id) is None

    # a later message starts from zero: a new person, who gets the notice again
    welcome, _picker = await person.say("/start", expect=2)
    controller = stack.settings.privacy_controller_name
    assert NOTICE_START.format(controller=controller) in plain(welcome.text)


async def test_a_database_dump_shows_no_text_with_encryption_on(
    stack: Stack, chat_factory: Any
) -> None:
    person = chat_factory("en")
    words = markers(6)
    await converse(stack, person, words)
    assert found(app_rows(stack), words[1:]) == words[1:]  # opened with the key: there
    dump = database_dump(stack)
    assert pseudonym(stack, person) in dump  # the dump is complete...
    assert [word for word in words if word in dump] == []  # ...and shows no text
    for file in sqlite_files(stack):
        assert raw_bytes_contain([file], words) == []


async def test_mydata_returns_what_the_person_said_in_their_language(
    stack: Stack, chat_factory: Any
) -> None:
    person = chat_factory("fr")
    first, second = markers(2)
    await person.say("/start", expect=2)
    await person.say(f"où apprendre l'italien à Turin {first}", expect=ends_with_follow_ups)
    await person.say(f"xqzv brrp {second} klmn", expect=1)
    (intro,) = await person.say("/mydata")
    assert translated(
        "fr",
        "Here is everything this service keeps about you: a text to read, "
        "and the same data for computers (JSON).",
    ) in plain(intro.text)
    documents = await stack.telegram.wait_for(
        lambda calls: (
            [c for c in calls if c.method == "sendDocument" and c.chat_id == person.user.id]
            if len([c for c in calls if c.method == "sendDocument" and c.chat_id == person.user.id])
            >= 2
            else []
        ),
        what="the two files",
    )
    readable = documents[0].params["document"]["content"].decode()
    machine = json.loads(documents[1].params["document"]["content"])
    assert translated("fr", "Your conversation with the assistant") in readable
    assert translated("fr", "Questions the assistant did not understand") in readable
    for word in (first, second):
        assert word in readable
    said = [event["text"] for event in machine["conversation"] if event["from"] == "you"]
    assert any(first in text for text in said) and any(second in text for text in said)
    assert machine["profile"]["language"] == "fr"


async def test_cancel_leaves_everything_in_place(stack: Stack, chat_factory: Any) -> None:
    person = chat_factory("en")
    await person.say("/start", expect=2)
    await person.say("xqzv brrp klmn plonk", expect=1)
    await ask_to_forget(person)
    (answer,) = await person.press("forget:no")
    assert translated("en", "Nothing was deleted.") in plain(answer.text)
    async with stack.database.session() as session:
        assert await session.get(BotUser, pseudonym(stack, person)) is not None
        kept = await session.scalar(
            select(func.count())
            .select_from(UnansweredMessage)
            .where(UnansweredMessage.user_pseudonym == pseudonym(stack, person))
        )
    assert kept == 1


async def test_forget_twice_and_forget_by_someone_unknown_get_a_clear_answer(
    stack: Stack, chat_factory: Any
) -> None:
    stranger = chat_factory("en")
    (answer,) = await stranger.say("/forget")
    assert translated("en", NOTHING) in plain(answer.text)
    async with stack.database.session() as session:
        assert await session.get(BotUser, pseudonym(stack, stranger)) is None

    person = chat_factory("uk")
    await person.say("/start", expect=2)
    await ask_to_forget(person)
    (done,) = await person.press("forget:yes")
    assert translated("uk", FORGOTTEN) in plain(done.text)
    (again,) = await person.say("/forget")
    assert translated("uk", NOTHING) in plain(again.text)
    (stale,) = await person.press("forget:yes")  # the old button, pressed once more
    assert translated("uk", NOTHING) in plain(stale.text)


async def test_forget_during_an_open_case_tells_the_mediator_and_is_logged(
    stack: Stack, chat_factory: Any
) -> None:
    telegram = stack.telegram
    person = chat_factory("en")
    mediator = await add_mediator(stack.database, ["en"], name="Ada", password=PASSWORD)
    assert mediator.telegram_user_id is not None
    mediator_user = TelegramUser(mediator.telegram_user_id, first_name="Ada")
    telegram.group_members.add(mediator_user.id)
    await person.say("/start", expect=2)
    await request_handoff(person, "en", "I need help with a paper")
    case = await open_case(stack, person)
    thread = await topic_of(stack, case.id)
    before = len(telegram.sent_to(person.user.id))
    telegram.press_in_group(mediator_user, f"case:take:{case.id}", thread)
    await telegram.replies(person.user.id, before, count=1)
    async with StaffClient(stack.web_url) as console:
        assert await console.sign_in(mediator.username, PASSWORD, area="console") == 303
        status, page, _ = await console.get(f"/console/cases/{case.id}")
        assert status == 200

        await ask_to_forget(person, case_open=True)
        (done,) = await person.press("forget:yes")
        assert translated("en", FORGOTTEN) in plain(done.text)

        # the topic: told, then deleted with everything in it
        told = await telegram.wait_for(
            lambda calls: [
                c
                for c in calls
                if c.method == "sendMessage"
                and c.chat_id == MEDIATORS_CHAT_ID
                and str(c.params.get("message_thread_id")) == str(thread)
                and "🗑" in c.text
            ],
            what="the mediators told in the topic",
        )
        assert f"{case.id}" in plain(told[0].text)
        await telegram.wait_for(
            lambda calls: [
                c
                for c in calls
                if c.method == "deleteForumTopic" and int(c.params["message_thread_id"]) == thread
            ],
            what="the topic deleted",
        )
        # the console: the case's page says the person withdrew
        status, page, _ = await console.get(f"/console/cases/{case.id}")
        assert status == 200 and 'id="withdrawn"' in page

    # administrators see who opened the case, and that the person withdrew it
    admin = await add_staff(stack.database, Role.ADMINISTRATOR, PASSWORD)
    async with StaffClient(stack.web_url) as browser:
        assert await browser.sign_in(admin.username, PASSWORD) == 303
        status, page, _ = await browser.get("/admin/privacy")
    assert status == 200 and f"#{case.id}" in page and mediator.username in page
    async with stack.database.session() as session:
        actions = set(
            await session.scalars(
                select(PrivacyLogEntry.action).where(PrivacyLogEntry.case_id == case.id)
            )
        )
    assert actions == {PrivacyAction.CASE_VIEWED, PrivacyAction.WITHDRAWN}


async def test_staff_erase_a_person_by_telegram_id_read_from_stdin(
    stack: Stack, chat_factory: Any, rasa: processes.RasaServer
) -> None:
    person = chat_factory("en")
    await person.say("/start", expect=2)
    await person.say("xqzv brrp klmn staffcase", expect=1)
    admin = await add_staff(stack.database, Role.ADMINISTRATOR, PASSWORD)
    settings = stack.settings
    assert settings.pseudonym_key is not None
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "PSEUDONYM_KEY": settings.pseudonym_key.get_secret_value(),
        "TEXT_KEY_FILE": str(settings.text_key_file),
        "RASA_TRACKER_DATABASE_URL": rasa.tracker_url,
    }
    command = [sys.executable, "-m", "bot.privacy", "export", "--staff", admin.username]
    exported = subprocess.run(
        [
            *command,
            "--telegram-id",
            "--language",
            "en",
            "--output",
            str(settings.text_key_file.parent / "export"),
        ],
        input=f"{person.user.id}\n",
        env=env,
        cwd=processes.ROOT,
        capture_output=True,
        text=True,
    )
    assert exported.returncode == 0, exported.stderr
    readable = (settings.text_key_file.parent / "export" / "my-data.txt").read_text()
    assert "staffcase" in readable
    assert str(person.user.id) not in " ".join(command)  # the id never was an argument
    erased = subprocess.run(
        [sys.executable, "-m", "bot.privacy", "forget", "--staff", admin.username, "--telegram-id"],
        input=f"{person.user.id}\n",
        env=env,
        cwd=processes.ROOT,
        capture_output=True,
        text=True,
    )
    assert erased.returncode == 0, erased.stderr
    assert erased.stdout.startswith("erased:")
    who = pseudonym(stack, person)
    assert found(app_rows(stack), [who, "staffcase"]) == []
    assert found(tracker_rows(rasa), [who]) == []
    async with stack.database.session() as session:
        logged = list(
            await session.scalars(
                select(PrivacyLogEntry.action).where(PrivacyLogEntry.actor_id == admin.id)
            )
        )
    assert logged == [PrivacyAction.DATA_EXPORTED, PrivacyAction.DATA_ERASED]


def test_a_postgresql_tracker_store_is_erased_too() -> None:
    """Rasa's tracker store on PostgreSQL (the production profile): the same erasure."""
    from bot.privacy.erasure import erase_conversation
    from tests.support.databases import postgres_database

    with postgres_database() as url:
        sync = url.replace("+asyncpg", "+psycopg2")
        engine = create_engine(sync)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "CREATE TABLE events (id SERIAL PRIMARY KEY, sender_id VARCHAR(255), "
                    "type_name VARCHAR(255), timestamp FLOAT, intent_name VARCHAR(255), "
                    "action_name VARCHAR(255), data TEXT)"
                )
            )
            for sender in ("gone", "gone", "kept"):
                connection.execute(
                    text(
                        "INSERT INTO events (sender_id, type_name, data) VALUES (:s, 'user', 'x')"
                    ),
                    {"s": sender},
                )
        engine.dispose()
        assert erase_conversation(url, "gone") == 2
        connection = psycopg2.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        with connection, connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT sender_id FROM events")
            assert cursor.fetchall() == [("kept",)]
        connection.close()


async def test_the_web_chat_gets_the_notice_with_its_first_answer_and_mydata_as_downloads(
    stack: Stack,
) -> None:
    marker = markers(1)[0]
    headers = {"Accept-Language": "ar"}
    async with aiohttp.ClientSession(
        headers=headers, cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as session:

        async def post(text_: str) -> list[dict[str, Any]]:
            async with session.post(f"{stack.web_url}/api/chat", json={"text": text_}) as r:
                assert r.status == 200
                return list((await r.json())["messages"])

        first = await post(f"xqzv brrp {marker} klmn")
        controller = stack.settings.privacy_controller_name
        notice = translated("ar", NOTICE_START).format(controller=f"\u2068{controller}\u2069")
        assert notice in plain(first[0]["text"])
        # the question is answered in the same message, below the notice
        answer = plain(first[0]["text"]).split("\n\n")[-1]
        assert answer in (translated("ar", NOT_UNDERSTOOD), translated("ar", OUT_OF_SCOPE))
        second = await post("/menu")
        assert notice not in plain(second[0]["text"])  # once only

        (files,) = [m for m in await post("/mydata") if m["documents"]]
        readable, machine = (base64.b64decode(d["data"]) for d in files["documents"])
        assert [d["filename"] for d in files["documents"]] == ["my-data.txt", "my-data.json"]
        assert marker in readable.decode()
        assert translated("ar", "Your conversation with the assistant") in readable.decode()
        assert json.loads(machine)["profile"]["language"] == "ar"


async def test_the_full_notice_is_served_in_every_language(stack: Stack) -> None:
    async with aiohttp.ClientSession() as session:
        for language in SUPPORTED_LANGUAGES:
            async with session.get(f"{stack.web_url}/privacy/{language}") as response:
                assert response.status == 200
                page = await response.text()
            assert f'lang="{language}"' in page
            assert ('dir="rtl"' in page) == (language in ("ar", "ur", "fa"))
            heading = translated(language, "Your rights")
            assert html.escape(heading, quote=True) in page or heading in page
            assert stack.settings.privacy_dpo_contact in page
            assert f"{stack.settings.retention_days}" in page
