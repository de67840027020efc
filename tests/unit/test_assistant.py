"""The assistant's rules, with in-memory fakes of Rasa, the renderer and the profiles."""

from __future__ import annotations

import pytest

from bot.core import replies
from bot.core.assistant import Assistant, AssistantConfig, Turn
from bot.core.commands import parse_command
from bot.core.messages import Inbound, InboundKind
from bot.i18n import Catalogs
from bot.kb.models import City
from tests.unit.fakes import (
    FakeDialogue,
    FakeProfiles,
    FakeRenderer,
    FakeUnanswered,
    rasa_answer,
    texts,
)

PERSON = "q" * 16
TORINO = City(slug="torino", name="Torino", latitude=45.07, longitude=7.69)
SERVICES = {"kind": "services", "topic": "job", "city": "torino", "service_ids": [1]}


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs()


class Bench:
    def __init__(self, catalogs: Catalogs, max_text_chars: int = 500) -> None:
        self.catalogs = catalogs
        self.profiles = FakeProfiles([TORINO])
        self.rasa = FakeDialogue()
        self.unanswered = FakeUnanswered()
        self.assistant = Assistant(
            AssistantConfig("en", max_text_chars),
            self.profiles,
            self.rasa,
            FakeRenderer([TORINO]),
            catalogs,
            self.unanswered,
        )

    async def send(self, text: str, language: str = "en") -> Turn:
        profile = await self.profiles.get_or_create(PERSON, "web", language)
        kind = InboundKind.COMMAND if text.startswith("/") else InboundKind.TEXT
        command = parse_command(text) if kind == InboundKind.COMMAND else None
        inbound = Inbound(PERSON, "web", kind, text, command=command)
        return await self.assistant.handle(inbound, profile, self.catalogs.localizer(language))


@pytest.fixture
def bench(catalogs: Catalogs) -> Bench:
    return Bench(catalogs)


async def test_the_answer_is_rendered_and_the_city_remembered(bench: Bench) -> None:
    bench.rasa.answers.append(rasa_answer("ask_job_services", SERVICES, language="en"))
    turn = await bench.send("I look for a job in Torino")
    assert texts(turn.messages) == ["services@en"]
    assert bench.profiles.people[PERSON].city_slug == "torino"


async def test_the_persons_words_never_reach_rasa_as_an_intent(bench: Bench) -> None:
    bench.rasa.answers.append(rasa_answer("greet", {"kind": "greet"}))
    await bench.send("hello there friend")
    sender, message, metadata = bench.rasa.sent[0]
    assert sender == PERSON and message == "hello there friend"
    assert metadata == {"language": "en", "city": None}  # no channel id, no address


async def test_the_bot_follows_the_language_the_person_writes_in(bench: Bench) -> None:
    bench.rasa.answers.append(rasa_answer("ask_job_services", SERVICES, language="uk"))
    turn = await bench.send("шукаю роботу в Турині будь ласка")
    assert turn.loc.language == "uk" and texts(turn.messages) == ["services@uk"]
    assert bench.profiles.people[PERSON].language == "uk"


async def test_a_chosen_language_is_kept_and_a_switch_offered(bench: Bench) -> None:
    await bench.send("/start")
    await bench.profiles.set_language(PERSON, "en", chosen=True)
    bench.rasa.answers.append(rasa_answer("ask_job_services", SERVICES, language="uk"))
    turn = await bench.send("шукаю роботу в Турині будь ласка")
    assert turn.loc.language == "en" and len(turn.after) == 1
    assert bench.profiles.people[PERSON].language == "en"


async def test_two_words_are_too_few_to_follow_a_language(bench: Bench) -> None:
    bench.rasa.answers.append(rasa_answer("ask_job_services", SERVICES, language="uk"))
    turn = await bench.send("робота Турин")
    assert turn.loc.language == "en" and turn.after == []


async def test_not_understood_twice_in_a_row_asks_for_an_offer(bench: Bench) -> None:
    for _ in range(2):
        bench.rasa.answers.append(rasa_answer("nlu_fallback", {"kind": "not_understood"}))
    first, second = await bench.send("blah blah"), await bench.send("blah again")
    assert not first.misunderstood_twice and second.misunderstood_twice
    assert bench.profiles.people[PERSON].misunderstood_in_a_row == 0  # counting starts again
    assert [text for _, text, _, _ in bench.unanswered.recorded] == ["blah blah", "blah again"]


async def test_an_understood_message_resets_the_count(bench: Bench) -> None:
    bench.rasa.answers += [
        rasa_answer("nlu_fallback", {"kind": "not_understood"}),
        rasa_answer("greet", {"kind": "greet"}),
        rasa_answer("nlu_fallback", {"kind": "not_understood"}),
    ]
    turns = [await bench.send(text) for text in ("blah", "hello", "blah")]
    assert not any(turn.misunderstood_twice for turn in turns)


async def test_rasa_down_is_said_plainly_in_the_persons_language(bench: Bench) -> None:
    bench.rasa.down = True
    turn = await bench.send("cerco casa", language="ar")
    ar = bench.catalogs.localizer("ar")
    assert texts(turn.messages) == texts(replies.temporarily_unavailable(ar))
    assert bench.unanswered.recorded == []


async def test_long_text_is_cut_and_the_person_told(catalogs: Catalogs) -> None:
    bench = Bench(catalogs, max_text_chars=10)
    bench.rasa.answers.append(rasa_answer("greet", {"kind": "greet"}))
    turn = await bench.send("x" * 50)
    assert bench.rasa.sent[0][1] == "x" * 10
    assert texts(turn.messages) == [
        str(replies.long_text_notice(catalogs.localizer("en")).text),
        "greet@en",
    ]


async def test_a_handoff_request_is_reported_not_answered(bench: Bench) -> None:
    bench.rasa.answers.append(
        rasa_answer("request_human", {"kind": "handoff_offer", "topic": "housing"})
    )
    turn = await bench.send("I want to talk to a person")
    assert turn.handoff_offer is not None and turn.handoff_offer.topic == "housing"
    assert turn.messages == []


async def test_a_response_that_is_not_an_answer_is_skipped(bench: Bench) -> None:
    bench.rasa.answers.append(rasa_answer("greet", {"kind": "no-such-kind"}))
    turn = await bench.send("hello")
    assert len(turn.messages) == 1  # the menu, never nothing at all


async def test_emoji_only_is_not_sent_to_rasa(bench: Bench) -> None:
    turn = await bench.send("👍👍")
    assert bench.rasa.sent == [] and turn.messages


async def test_unknown_commands_get_an_answer_without_rasa(bench: Bench) -> None:
    turn = await bench.send("/restart")
    en = bench.catalogs.localizer("en")
    assert texts(turn.messages) == texts(replies.unknown_command(en))
    assert bench.rasa.sent == []
