"""The conversation router's rules, with in-memory fakes (`tests/unit/fakes.py`):

flood gate → handoff buttons → safeguarding → an open case → the assistant
"""

from __future__ import annotations

import pytest

from bot.conversation import Conversation, ConversationConfig
from bot.core import buttons
from bot.core.assistant import Turn
from bot.core.commands import parse_command
from bot.core.contract import HandoffOffer
from bot.core.messages import Inbound, InboundKind
from bot.core.users import Profile
from bot.handoff import texts as texts_module
from bot.handoff.safeguarding import SafeguardingLexicon
from bot.i18n import Catalogs
from bot.kb.models import Topic
from bot.limits import MemoryLimits
from tests.unit.fakes import FakeAssistant, FakeDesk, FakePrivacy, FakeProfiles, said, texts

PERSON = "p" * 16


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs()


@pytest.fixture(scope="module")
def lexicon() -> SafeguardingLexicon:
    return SafeguardingLexicon.load()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Router:
    """A `Conversation` on fakes, with the fakes at hand."""

    def __init__(self, catalogs: Catalogs, lexicon: SafeguardingLexicon, per_minute: int = 30):
        self.profiles, self.assistant, self.desk = FakeProfiles(), FakeAssistant(), FakeDesk()
        self.privacy = FakePrivacy()
        self.profiles.people[PERSON] = Profile(PERSON, "en", False, None, None)  # not new
        self.clock = Clock()
        self.conversation = Conversation(
            ConversationConfig("en", per_minute),
            self.profiles,  # type: ignore[arg-type]
            catalogs,
            self.assistant,  # type: ignore[arg-type]
            self.desk,  # type: ignore[arg-type]
            lexicon,
            MemoryLimits(self.clock),
            self.privacy,  # type: ignore[arg-type]
        )

    async def text(self, text: str, language: str = "en", person: str = PERSON) -> list[str]:
        kind = InboundKind.COMMAND if text.startswith("/") else InboundKind.TEXT
        command = parse_command(text) if kind == InboundKind.COMMAND else None
        inbound = Inbound(person, "web", kind, text, command=command, language_hint=language)
        return texts(await self.conversation.handle(inbound))

    async def press(self, data: str) -> list[str]:
        button = buttons.unpack(data)
        inbound = Inbound(PERSON, "web", InboundKind.BUTTON, button=button, language_hint="en")
        return texts(await self.conversation.handle(inbound))


@pytest.fixture
def router(catalogs: Catalogs, lexicon: SafeguardingLexicon) -> Router:
    return Router(catalogs, lexicon)


async def test_ordinary_text_goes_to_the_assistant(router: Router) -> None:
    assert await router.text("cerco lavoro a Torino") == ["bot:cerco lavoro a Torino"]
    assert router.desk.calls == []


async def test_while_a_case_is_open_everything_goes_to_the_mediators(router: Router) -> None:
    router.desk.open_cases.add(PERSON)
    assert await router.text("hello?") == ["desk:relay:hello?"]
    assert await router.text("/bot") == ["desk:leave"]
    assert router.assistant.handled == []


async def test_danger_comes_before_an_open_case(router: Router) -> None:
    router.desk.open_cases.add(PERSON)
    assert await router.text("voglio morire") == ["desk:safeguard:self_harm"]


async def test_handoff_buttons_go_to_the_desk(router: Router) -> None:
    assert await router.press(buttons.ConfirmHandoff(Topic.HOUSING).pack()) == [
        "desk:confirm:housing"
    ]
    assert await router.press(buttons.DeclineHandoff().pack()) == ["desk:decline"]
    assert await router.press(buttons.ChooseBridge("fr").pack()) == ["desk:bridge:fr"]
    assert await router.press(buttons.RateHelp(7, 5).pack()) == ["desk:rate:7:5"]
    assert router.assistant.handled == []


async def test_other_buttons_and_forged_ones_go_to_the_assistant(router: Router) -> None:
    await router.press(buttons.AskTopic(Topic.JOB).pack())
    await router.press("ho:yes:not-a-topic-at-all")
    assert [inbound.kind for inbound in router.assistant.handled] == [InboundKind.BUTTON] * 2
    assert router.desk.calls == []


async def test_a_request_for_a_person_adds_the_desks_offer(
    router: Router, catalogs: Catalogs
) -> None:
    loc = catalogs.localizer("en")
    offer = HandoffOffer(topic=Topic.JOB)
    router.assistant.turns.append(
        Turn(loc, [said("answer")], handoff_offer=offer, after=[said("after")])
    )
    assert await router.text("I want to talk to a person") == [
        "answer",
        "desk:offer:job",
        "after",
    ]


async def test_misunderstood_twice_offers_a_person_in_the_persons_language(
    router: Router, catalogs: Catalogs
) -> None:
    ukrainian = catalogs.localizer("uk")
    router.assistant.turns.append(Turn(ukrainian, [said("?")], misunderstood_twice=True))
    offer = str(texts_module.offer_after_misunderstanding(ukrainian).text)
    assert await router.text("asdf qwer") == ["?", offer]
    assert offer != str(texts_module.offer_after_misunderstanding(catalogs.localizer("en")).text)


async def test_a_flood_gets_one_notice_a_minute_and_nothing_else(
    catalogs: Catalogs, lexicon: SafeguardingLexicon
) -> None:
    router = Router(catalogs, lexicon, per_minute=3)
    answers = [await router.text(f"message {n}") for n in range(6)]
    assert answers[:3] == [["bot:message 0"], ["bot:message 1"], ["bot:message 2"]]
    assert len(answers[3]) == 1 and answers[3][0].startswith("bot:") is False  # the notice
    assert answers[4:] == [[], []]
    assert len(router.assistant.handled) == 3  # the flood never reached the assistant
    router.clock.now += 61
    assert await router.text("calmer now") == ["bot:calmer now"]


async def test_a_flood_during_a_case_does_not_reach_the_mediators(
    catalogs: Catalogs, lexicon: SafeguardingLexicon
) -> None:
    router = Router(catalogs, lexicon, per_minute=2)
    router.desk.open_cases.add(PERSON)
    for n in range(5):
        await router.text(f"spam {n}")
    assert router.desk.calls == ["relay:spam 0", "relay:spam 1"]


async def test_a_new_person_gets_the_privacy_notice_with_the_first_answer(router: Router) -> None:
    assert await router.text("cerco lavoro", person="n" * 16) == ["notice", "bot:cerco lavoro"]
    assert await router.text("e casa?", person="n" * 16) == ["bot:e casa?"]


async def test_privacy_commands_and_buttons_go_to_the_privacy_desk_even_during_a_case(
    router: Router,
) -> None:
    router.desk.open_cases.add(PERSON)
    assert await router.text("/forget") == ["privacy:forget"]
    assert await router.press(buttons.ConfirmForget().pack()) == ["privacy:button"]
    assert router.privacy.calls == ["forget:case", "button:ConfirmForget"]
    assert router.desk.calls == []  # the mediators did not get "/forget"
