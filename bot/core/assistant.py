"""The assistant: one inbound message in, its answer out, when no mediator is involved.

It handles what the app answers itself (commands, pickers, input it cannot read) and sends
the rest to Rasa (free text, topic buttons, shared locations), then renders Rasa's answers
in the person's language. It knows nothing of mediators: when Rasa decides the person asks
for one, or when the person was not understood twice, it says so in the `Turn` it returns,
and the conversation router (`bot.conversation`) asks the handoff desk.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

from bot.core import buttons, menus, replies
from bot.core.contract import CITY_KINDS, HandoffOffer, read_answer
from bot.core.messages import Inbound, InboundKind, Outbound
from bot.core.ports import AnswerRenderer, Dialogue, Profiles, UnansweredRecorder
from bot.core.rasa_client import RasaAnswer, RasaUnavailable
from bot.core.users import Profile
from bot.i18n import SUPPORTED_LANGUAGES, Catalogs, Localizer
from bot.kb.models import Topic
from bot.logs import short

logger = logging.getLogger(__name__)

TOPIC_INTENTS = {
    Topic.JOB: "ask_job_services",
    Topic.HOUSING: "ask_housing_help",
    Topic.COURSE: "ask_language_course",
    Topic.DESK: "ask_help_desk",
}
# too short or too generic to tell a language from ("ok", "salam", "ciao")
# or not understood at all: no language to follow from these
NON_COMMITTAL_INTENTS = frozenset({"greet", "goodbye", "thank", "affirm", "deny", "nlu_fallback"})
MIN_LANGUAGE_CONFIDENCE = 0.5
MIN_WORDS_FOR_LANGUAGE = 3
MIN_HAN_FOR_LANGUAGE = 4
FALLBACK_INTENT = "nlu_fallback"
UNANSWERED_INTENTS = frozenset({FALLBACK_INTENT, "out_of_scope"})
MISUNDERSTOOD_BEFORE_OFFER = 2


@dataclass(frozen=True)
class AssistantConfig:
    default_language: str
    max_text_chars: int


@dataclass
class Turn:
    """The assistant's answer, and what the router should add to it."""

    loc: Localizer  # the language the conversation continues in
    messages: list[Outbound] = field(default_factory=list)
    handoff_offer: HandoffOffer | None = None  # the person asked for a mediator
    misunderstood_twice: bool = False  # offer a person (never force it)
    media_for_mediator: bool = False  # the inbound media goes with the offer
    after: list[Outbound] = field(default_factory=list)  # e.g. the language switch offer
    intent: str | None = None  # Rasa's intent (None: answered by the app itself)
    topic: str | None = None  # the topic of the answer, when it had one


class Assistant:
    def __init__(
        self,
        config: AssistantConfig,
        users: Profiles,
        rasa: Dialogue,
        renderer: AnswerRenderer,
        catalogs: Catalogs,
        unanswered: UnansweredRecorder,
    ) -> None:
        self.config = config
        self._users = users
        self._rasa = rasa
        self._renderer = renderer
        self._catalogs = catalogs
        self._unanswered = unanswered

    async def handle(self, inbound: Inbound, profile: Profile, loc: Localizer) -> Turn:
        match inbound.kind:
            case InboundKind.BUTTON:
                return await self._button(inbound.button, profile, loc)
            case InboundKind.COMMAND:
                return await self._command(inbound, loc)
            case InboundKind.LOCATION:
                return await self._location(inbound, profile, loc)
            case InboundKind.BAD_LOCATION:
                return Turn(loc, replies.bad_location(loc))
            case InboundKind.UNREADABLE:
                return Turn(loc, replies.unreadable(loc))
            case InboundKind.VOICE:
                return media_turn(loc, replies.voice_for_a_mediator(loc))
            case InboundKind.STICKER:
                return Turn(loc, replies.sticker_not_supported(loc))
            case InboundKind.MEDIA:
                return media_turn(loc, replies.media_for_a_mediator(loc))
            case _:
                return await self._text(inbound.text, profile, loc)

    async def _command(self, inbound: Inbound, loc: Localizer) -> Turn:
        name = inbound.command.name if inbound.command else ""
        if name == "start":
            return Turn(loc, menus.welcome(loc))
        if name == "menu":
            return Turn(loc, [menus.menu_message(loc)])
        if name == "language":
            return Turn(loc, [menus.language_picker(loc)])
        if name == "city":
            return Turn(loc, menus.city_picker(loc, await self._renderer.cities()))
        if name == "help":
            return Turn(loc, replies.help_text(loc))
        return Turn(loc, replies.unknown_command(loc))

    async def _button(
        self, button: buttons.ButtonData | None, profile: Profile, loc: Localizer
    ) -> Turn:
        match button:
            case buttons.ChooseLanguage(language=language):
                await self._users.set_language(profile.pseudonym, language)
                chosen = self._catalogs.localizer(language)
                return Turn(chosen, menus.language_set(chosen))
            case buttons.ChooseCity(slug=slug):
                city = await self._users.set_city(profile.pseudonym, slug)
                if city is not None:
                    return await self._ask_rasa(
                        "inform_city", profile, loc, {"city": city.name}, city=city.name
                    )
            case buttons.AskTopic(topic=topic):
                return await self._ask_rasa(TOPIC_INTENTS[topic], profile, loc)
            case buttons.TalkToPerson():
                return await self._ask_rasa("request_human", profile, loc)
            case buttons.PickLanguage():
                return Turn(loc, [menus.language_picker(loc)])
            case buttons.PickCity():
                return Turn(loc, menus.city_picker(loc, await self._renderer.cities()))
        return Turn(loc, [menus.menu_message(loc)])  # the menu, or a forged or stale button

    async def _location(self, inbound: Inbound, profile: Profile, loc: Localizer) -> Turn:
        assert inbound.location is not None
        extra = {
            "location": {
                "latitude": inbound.location.latitude,
                "longitude": inbound.location.longitude,
            }
        }
        return await self._ask_rasa("share_location", profile, loc, extra_metadata=extra)

    async def _text(self, text: str, profile: Profile, loc: Localizer) -> Turn:
        if not any(char.isalnum() for char in text):
            return Turn(loc, replies.sticker_not_supported(loc))
        notice: list[Outbound] = []
        if len(text) > self.config.max_text_chars:
            notice = [replies.long_text_notice(loc)]
            text = text[: self.config.max_text_chars]
        answer = self._rasa.send_text(profile.pseudonym, text, self._metadata(profile))
        turn = await self._converse(answer, profile, loc, text)
        turn.messages[:0] = notice
        return turn

    async def _ask_rasa(
        self,
        intent: str,
        profile: Profile,
        loc: Localizer,
        entities: dict[str, str] | None = None,
        city: str | None = None,
        extra_metadata: dict[str, Any] | None = None,
    ) -> Turn:
        metadata = self._metadata(profile) | (extra_metadata or {})
        if city:
            metadata["city"] = city
        answer = self._rasa.send_intent(profile.pseudonym, intent, metadata, entities or {})
        return await self._converse(answer, profile, loc)

    async def _converse(
        self,
        answer: Awaitable[RasaAnswer],
        profile: Profile,
        loc: Localizer,
        user_text: str | None = None,
    ) -> Turn:
        """Await Rasa's answer and render it; say so plainly if Rasa cannot answer."""
        try:
            result = await answer
        except RasaUnavailable as error:
            logger.warning("Rasa unavailable for %s: %s", short(profile.pseudonym), error)
            return Turn(loc, replies.temporarily_unavailable(loc))
        turn = Turn(loc, intent=result.intent)
        if user_text is not None:
            turn.loc, turn.after = await self._follow_language(result, user_text, profile, loc)
            turn.misunderstood_twice = await self._count_misunderstanding(result, profile)
            if result.intent in UNANSWERED_INTENTS:
                await self._unanswered.record(
                    result.language or loc.language,
                    user_text,
                    result.best_guess,
                    profile.city_slug,
                    profile.pseudonym,
                )
        await self._render_answers(result, profile, turn)
        return turn

    async def _count_misunderstanding(self, result: RasaAnswer, profile: Profile) -> bool:
        """Two messages in a row not understood: time to offer a person."""
        count = profile.misunderstood_in_a_row + 1 if result.intent == FALLBACK_INTENT else 0
        if count >= MISUNDERSTOOD_BEFORE_OFFER:
            await self._users.set_misunderstood(profile.pseudonym, 0)
            return True
        if count != profile.misunderstood_in_a_row:
            await self._users.set_misunderstood(profile.pseudonym, count)
        return False

    async def _follow_language(
        self, result: RasaAnswer, text: str, profile: Profile, loc: Localizer
    ) -> tuple[Localizer, list[Outbound]]:
        """Answer in the language the person writes in, unless they chose one: then offer it."""
        detected = result.language
        if (
            detected not in SUPPORTED_LANGUAGES
            or detected == loc.language
            or result.intent in NON_COMMITTAL_INTENTS
            or result.language_confidence < MIN_LANGUAGE_CONFIDENCE
            or not tells_language(text)
        ):
            return loc, []
        assert detected is not None
        if not profile.language_chosen:
            await self._users.set_language(profile.pseudonym, detected, chosen=False)
            return self._catalogs.localizer(detected), []
        return loc, [menus.language_switch_offer(self._catalogs.localizer(detected), loc.language)]

    async def _render_answers(self, result: RasaAnswer, profile: Profile, turn: Turn) -> None:
        for response in result.messages:
            answer = read_answer(response.get("custom"))
            if answer is None:
                logger.warning("Rasa sent a response that is not an answer: %s", sorted(response))
                continue
            topic = getattr(answer, "topic", None)
            turn.topic = str(topic) if topic in Topic.__members__.values() else turn.topic
            if isinstance(answer, HandoffOffer):
                turn.handoff_offer = answer
                continue
            city = getattr(answer, "city", None)
            if answer.kind in CITY_KINDS and city and city != profile.city_slug:
                await self._users.set_city(profile.pseudonym, city)
            turn.messages.extend(await self._renderer.render(turn.loc, answer))
        if not turn.messages and turn.handoff_offer is None:
            turn.messages.append(menus.menu_message(turn.loc))

    def _metadata(self, profile: Profile) -> dict[str, Any]:
        return {"language": profile.language, "city": profile.city_name}


def media_turn(loc: Localizer, messages: list[Outbound]) -> Turn:
    """A voice note or photo: say the bot reads text only, and offer a mediator with it."""
    return Turn(loc, messages, handoff_offer=HandoffOffer(), media_for_mediator=True)


def tells_language(text: str) -> bool:
    """Long enough to trust a language guess: three words, or four Chinese characters."""
    han = sum(1 for char in text if "\u3400" <= char <= "\u9fff")
    return len(text.split()) >= MIN_WORDS_FOR_LANGUAGE or han >= MIN_HAN_FOR_LANGUAGE
