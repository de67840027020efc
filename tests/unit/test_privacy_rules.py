"""Privacy rules with real SQLite files: sealing, key rotation, erasure leaving no bytes
behind, the erasure's buttons and the notice above a first answer."""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from bot.core import buttons
from bot.core.markup import escape
from bot.core.messages import Outbound
from bot.handoff.addresses import KEY_PURPOSE, AddressBox
from bot.handoff.models import CaseMessage, CaseNote, CaseStatus, HandoffCase
from bot.kb.db import Database
from bot.kb.models import Base, BotUser, UnansweredMessage
from bot.privacy import models as privacy_models  # noqa: F401  (registers the table)
from bot.privacy.erasure import Eraser
from bot.privacy.rekey import Renamer, rotate_pseudonym_key, rotate_text_key
from bot.privacy.texts import with_notice
from bot.pseudonym import Pseudonymizer, read_previous_keys
from rasa_components.sealing import (
    SealingError,
    TextSealer,
    is_sealed,
    load_or_create,
    new_key,
    read_keys,
)

PSEUDONYM_KEY = b"unit-test-pseudonym-key-0123456789"


def make_database(tmp_path: Path, sealer: TextSealer | None) -> tuple[Database, Path]:
    path = tmp_path / "assistant.db"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    return Database(f"sqlite+aiosqlite:///{path}", sealer), path


async def add_person(database: Database, pseudonym: str, words: list[str]) -> int:
    async with database.session() as session:
        session.add(BotUser(pseudonym=pseudonym, channel="telegram", language="ar"))
        await session.flush()
        case = HandoffCase(
            user_pseudonym=pseudonym, channel="telegram", language="ar", summary=words[0]
        )
        session.add(case)
        await session.flush()
        session.add(
            CaseMessage(case_id=case.id, sender="person", origin="tg:1", kind="text", text=words[1])
        )
        session.add(CaseNote(case_id=case.id, text=words[2]))
        session.add(UnansweredMessage(language="ar", text=words[3], user_pseudonym=pseudonym))
        await session.commit()
        return case.id


def raw_values(path: Path, query: str) -> list[str]:
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        values = [str(row[0]) for row in connection.execute(text(query))]
    engine.dispose()
    return values


def test_sealed_texts_open_with_any_listed_key_and_clear_texts_read_as_they_are() -> None:
    old, new = new_key(), new_key()
    sealed = TextSealer([old]).seal("ho paura di tornare a casa")
    assert is_sealed(sealed) and "paura" not in sealed
    both = TextSealer([new, old])
    assert both.open(sealed) == "ho paura di tornare a casa"
    assert both.open("written before encryption") == "written before encryption"
    resealed = both.reseal(sealed)
    assert TextSealer([new]).open(resealed) == "ho paura di tornare a casa"
    with pytest.raises(SealingError):
        TextSealer([new]).open(sealed)
    with pytest.raises(SealingError):
        both.open(sealed[:-4] + "AAAA")  # tampered


async def test_texts_are_stored_sealed_and_read_in_clear(tmp_path: Path) -> None:
    sealer = load_or_create(tmp_path / "text.key")
    assert (tmp_path / "text.key").stat().st_mode & 0o777 == 0o600
    database, path = make_database(tmp_path, sealer)
    case_id = await add_person(database, "p1", ["summary w", "message w", "note w", "question w"])
    stored = (
        raw_values(path, "SELECT text FROM case_message")
        + raw_values(path, "SELECT summary FROM handoff_case")
        + raw_values(path, "SELECT text FROM case_note")
        + raw_values(path, "SELECT text FROM unanswered_message")
    )
    # a space never occurs in a sealed value (urlsafe base64)
    assert all(is_sealed(value) and " w" not in value for value in stored)
    async with database.session() as session:
        case = await session.get(HandoffCase, case_id)
        assert case is not None and case.summary == "summary w"
    await database.dispose()


async def test_rotating_the_text_key_reseals_everything_and_retires_the_old_key(
    tmp_path: Path,
) -> None:
    key_file = tmp_path / "text.key"
    old_sealer = load_or_create(key_file)
    old_key = read_keys(key_file)
    database, path = make_database(tmp_path, old_sealer)
    case_id = await add_person(database, "p1", ["s1", "m1", "n1", "q1"])
    legacy = Fernet(
        base64.urlsafe_b64encode(hmac.new(PSEUDONYM_KEY, KEY_PURPOSE, hashlib.sha256).digest())
    )
    async with database.session() as session:
        case = await session.get(HandoffCase, case_id)
        assert case is not None
        case.delivery_address = legacy.encrypt(b"123456789").decode()  # as first written
        await session.commit()
    await database.dispose()
    tracker = tmp_path / "tracker.db"
    engine = create_engine(f"sqlite:///{tracker}")
    with engine.begin() as connection:
        connection.execute(
            text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, data TEXT)")
        )
        connection.execute(
            text("INSERT INTO events (sender_id, data) VALUES ('p1', :d)"),
            {"d": old_sealer.seal('{"text": "t1"}')},
        )
    before = raw_values(path, "SELECT text FROM case_message")

    report = await rotate_text_key(
        f"sqlite+aiosqlite:///{path}", key_file, PSEUDONYM_KEY, f"sqlite:///{tracker}"
    )

    assert report.values == 4 and report.addresses == 1 and report.tracker_events == 1
    keys = read_keys(key_file)
    assert len(keys) == 1 and keys != old_key
    assert raw_values(path, "SELECT text FROM case_message") != before
    new_sealer = TextSealer(keys)
    reopened = Database(f"sqlite+aiosqlite:///{path}", new_sealer)
    async with reopened.session() as session:
        case = await session.get(HandoffCase, case_id)
        assert case is not None and case.summary == "s1"
        assert AddressBox(PSEUDONYM_KEY, new_sealer).open(case.delivery_address) == "123456789"
    await reopened.dispose()
    with pytest.raises(SealingError):
        old_sealer.open(raw_values(path, "SELECT text FROM case_message")[0])
    (event,) = raw_values(tracker, "SELECT data FROM events")
    assert new_sealer.open(event) == '{"text": "t1"}'
    engine.dispose()


async def test_erasure_leaves_nothing_in_the_sqlite_files_even_without_encryption(
    tmp_path: Path,
) -> None:
    database, path = make_database(tmp_path, None)  # texts in clear: the bytes would show
    words = ["zqsummary31", "zqmessage31", "zqnote31", "zqquestion31"]
    pseudonym = "zqpseudonym31"
    await add_person(database, pseudonym, words)
    await add_person(database, "someone-else", ["a", "b", "c", "d"])
    files = [path, path.with_name(path.name + "-wal")]
    content = b"".join(f.read_bytes() for f in files if f.exists())
    assert all(word.encode() in content for word in [*words, pseudonym])

    report = await Eraser(database, None).erase(pseudonym)

    assert report.profile and len(report.cases) == 1 and report.unanswered == 1
    content = b"".join(f.read_bytes() for f in files if f.exists())
    assert [w for w in [*words, pseudonym] if w.encode() in content] == []
    assert "someone-else" in raw_values(path, "SELECT pseudonym FROM bot_user")
    await database.dispose()


def test_the_erasure_buttons_fit_and_read_back() -> None:
    for payload in (buttons.ConfirmForget(), buttons.CancelForget()):
        assert buttons.unpack(payload.pack()) == payload
    assert buttons.ConfirmForget().pack() == "forget:yes"
    assert buttons.unpack("forget:yes:extra") is None


def test_the_notice_goes_above_the_first_answer_in_the_same_message() -> None:
    answer = [Outbound(text=escape("the answer")), Outbound(text=escape("the menu"))]
    shown = with_notice(answer, escape("the notice"))
    assert len(shown) == 2
    assert str(shown[0].text).startswith("the notice") and "the answer" in str(shown[0].text)


async def test_rotating_the_pseudonym_key_keeps_each_history_whole(tmp_path: Path) -> None:
    key_file, previous_file = tmp_path / "pseudonym.key", tmp_path / "pseudonym.key.previous"
    key_file.write_bytes(PSEUDONYM_KEY)
    sealer = load_or_create(tmp_path / "text.key")
    database, path = make_database(tmp_path, sealer)
    old = Pseudonymizer(PSEUDONYM_KEY)
    with_case, without_case = old("telegram", 555), old("web", "session-b")
    case_id = await add_person(database, with_case, ["s", "m", "n", "q"])
    async with database.session() as session:
        case = await session.get(HandoffCase, case_id)
        assert case is not None
        case.status = CaseStatus.ACTIVE  # a mediator is talking with them
        case.delivery_address = AddressBox(PSEUDONYM_KEY, sealer).seal("555")
        session.add(BotUser(pseudonym=without_case, channel="web", language="uk"))
        session.add(UnansweredMessage(language="uk", text="q2", user_pseudonym=without_case))
        await session.commit()
    await database.dispose()
    tracker = tmp_path / "tracker.db"
    engine = create_engine(f"sqlite:///{tracker}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT)"))
        for sender in (with_case, with_case, without_case):
            connection.execute(text("INSERT INTO events (sender_id) VALUES (:s)"), {"s": sender})
    engine.dispose()
    url = f"sqlite+aiosqlite:///{path}"

    report = await rotate_pseudonym_key(
        url, key_file, previous_file, sealer, f"sqlite:///{tracker}"
    )

    new_key = key_file.read_bytes().strip()
    assert new_key != PSEUDONYM_KEY and read_previous_keys(previous_file) == [PSEUDONYM_KEY]
    assert report.renamed == 1 and report.addresses == 1
    rotated = Pseudonymizer(new_key, read_previous_keys(previous_file))
    assert rotated.earlier("web", "session-b") == (without_case,)
    database = Database(url, sealer)
    async with database.session() as session:
        case = await session.get(HandoffCase, case_id)
        assert case is not None and case.user_pseudonym == rotated("telegram", 555)
        assert case.status == CaseStatus.ACTIVE  # the open case is still theirs
        assert AddressBox(new_key, sealer).open(case.delivery_address) == "555"
    # the person without a case is found again when they write
    renamer = Renamer(database, f"sqlite:///{tracker}")
    assert await renamer.adopt(rotated("web", "session-b"), rotated.earlier("web", "session-b"))
    assert not await renamer.adopt(rotated("web", "session-b"), (without_case,))  # done once
    async with database.session() as session:
        assert await session.get(BotUser, without_case) is None
        person = await session.get(BotUser, rotated("web", "session-b"))
        assert person is not None and person.language == "uk"
    await database.dispose()
    senders = raw_values(tracker, "SELECT sender_id FROM events")
    assert sorted(senders) == sorted([rotated("telegram", 555)] * 2 + [rotated("web", "session-b")])
    assert (
        raw_values(path, "SELECT user_pseudonym FROM unanswered_message").count(
            rotated("web", "session-b")
        )
        == 1
    )
