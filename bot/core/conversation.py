"""The conversation core: one inbound message in, the messages to show out.

It decides what the app handles itself (commands, pickers, input it cannot read) and
what goes to Rasa (free text, topic buttons, shared locations), then renders Rasa's
answers in the user's language.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from bot.core import render
from bot.core.messages import Inbound, InboundKind, Outbound
from bot.core.rasa_client import RasaAnswer, RasaClient, RasaUnavailable
from bot.core.users import Profile, UserStore
from bot.handoff import texts
from bot.handoff.desk import HandoffDesk
from bot.handoff.safeguarding import SafeguardingLexicon
from bot.i18n import SUPPORTED_LANGUAGES, Catalogs, Localizer, negotiate_language
from bot.workspace.unanswered import UnansweredLog

logger = logging.getLogger(__name__)

TOPIC_INTENTS = {
    "job": "ask_job_services",
    "housing": "ask_housing_help",
    "course": "ask_language_course",
    "desk": "ask_help_desk",
}
CITY_KINDS = frozenset({"services", "city_set", "nearest", "human"})
# too short or too generic to tell a language from ("ok", "salam", "ciao")
# or not understood at all: no language to follow from these
NON_COMMITTAL_INTENTS = frozenset({"greet", "goodbye", "thank", "affirm", "deny", "nlu_fallback"})
MIN_LANGUAGE_CONFIDENCE = 0.5
MIN_WORDS_FOR_LANGUAGE = 3
MIN_HAN_FOR_LANGUAGE = 4
FALLBACK_INTENT = "nlu_fallback"
UNANSWERED_INTENTS = frozenset({FALLBACK_INTENT, "out_of_scope"})
MISUNDERSTOOD_BEFORE_OFFER = 2
HANDOFF_OFFER = "handoff_offer"
HANDOFF_BUTTONS = ("ho:", "rate:")
LEAVE_COMMAND = "bot"


@dataclass(frozen=True)
class CoreConfig:
    default_language: str
    max_text_chars: int


class ConversationCore:
    def __init__(
        self,
        config: CoreConfig,
        users: UserStore,
        rasa: RasaClient,
        renderer: render.Renderer,
        catalogs: Catalogs,
        handoff: HandoffDesk,
        safeguarding: SafeguardingLexicon,
        unanswered: UnansweredLog,
    ) -> None:
        self.config = config
        self._users = users
        self._rasa = rasa
        self._renderer = renderer
        self._catalogs = catalogs
        self._handoff = handoff
        self._safeguarding = safeguarding
        self._unanswered = unanswered

    async def handle(self, inbound: Inbound) -> list[Outbound]:
        hinted = self.hinted_language(inbound.language_hint)
        profile = await self._users.get_or_create(inbound.user, inbound.channel, hinted)
        loc = self._catalogs.localizer(profile.language)
        if inbound.kind == InboundKind.BUTTON and inbound.data.startswith(HANDOFF_BUTTONS):
            return await self._handoff_button(inbound, profile, loc)
        danger = self._safeguarding.match(inbound.text) if inbound.text else None
        if danger is not None:
            return await self._handoff.safeguard(profile, loc, inbound, danger)
        case = await self._handoff.open_case(profile.pseudonym)
        if case is not None:
            if _command_name(inbound) == LEAVE_COMMAND:
                return await self._handoff.leave(profile, loc)
            return await self._handoff.on_inbound(case, inbound, profile, loc)
        match inbound.kind:
            case InboundKind.BUTTON:
                return await self._button(inbound.data, profile, loc)
            case InboundKind.LOCATION:
                return await self._location(inbound, profile, loc)
            case InboundKind.VOICE:
                return render.voice_not_supported(loc)
            case InboundKind.STICKER:
                return render.sticker_not_supported(loc)
            case InboundKind.MEDIA:
                return render.media_not_supported(loc)
            case _:
                return await self._text(inbound.text, profile, loc)

    def hinted_language(self, language_hint: str | None) -> str:
        return negotiate_language([language_hint], self.config.default_language)

    def localizer(self, language: str) -> Localizer:
        return self._catalogs.localizer(language)

    async def _handoff_button(
        self, inbound: Inbound, profile: Profile, loc: Localizer
    ) -> list[Outbound]:
        prefix, _, value = inbound.data.partition(":")
        if prefix == "rate":
            case_id, _, rating = value.partition(":")
            if case_id.isdigit() and rating.isdigit():
                return await self._handoff.rate(profile, loc, int(case_id), int(rating))
            return [render.menu_message(loc)]
        action, _, argument = value.partition(":")
        if action == "yes":
            return await self._handoff.confirm(profile, loc, argument or None, inbound)
        if action == "bridge":
            return await self._handoff.choose_bridge(profile, loc, argument)
        if action == "leave":
            return await self._handoff.leave(profile, loc)
        return [render.menu_message(loc)]  # "ho:no"

    async def _command(self, text: str, profile: Profile, loc: Localizer) -> list[Outbound]:
        command = text.strip().split(maxsplit=1)[0].lstrip("/").split("@")[0].lower()
        if command == "start":
            return render.welcome(loc)
        if command == "menu":
            return [render.menu_message(loc)]
        if command == "language":
            return [render.language_picker(loc)]
        if command == "city":
            return render.city_picker(loc, await self._renderer.cities())
        if command == "help":
            return render.help_text(loc)
        return render.unknown_command(loc)

    async def _button(self, data: str, profile: Profile, loc: Localizer) -> list[Outbound]:
        prefix, _, value = data.partition(":")
        if prefix == "lang" and value in SUPPORTED_LANGUAGES:
            await self._users.set_language(profile.pseudonym, value)
            return render.language_set(self._catalogs.localizer(value))
        if prefix == "city":
            city = await self._users.set_city(profile.pseudonym, value)
            if city is not None:
                entities = json.dumps({"city": city.name}, ensure_ascii=False)
                return await self._ask_rasa_intent("inform_city", profile, loc, entities, city.name)
        if prefix == "t" and value in TOPIC_INTENTS:
            return await self._ask_rasa_intent(TOPIC_INTENTS[value], profile, loc)
        if data == "human":
            return await self._ask_rasa_intent("request_human", profile, loc)
        if data == "pick:lang":
            return [render.language_picker(loc)]
        if data == "pick:city":
            return render.city_picker(loc, await self._renderer.cities())
        return [render.menu_message(loc)]  # "menu", or a stale/unknown button

    async def _location(self, inbound: Inbound, profile: Profile, loc: Localizer) -> list[Outbound]:
        extra = {"location": {"latitude": inbound.latitude, "longitude": inbound.longitude}}
        return await self._ask_rasa_intent("share_location", profile, loc, extra_metadata=extra)

    async def _text(self, text: str, profile: Profile, loc: Localizer) -> list[Outbound]:
        if text.lstrip().startswith("/"):
            return await self._command(text, profile, loc)
        if not any(char.isalnum() for char in text):
            return render.sticker_not_supported(loc)
        notice: list[Outbound] = []
        if len(text) > self.config.max_text_chars:
            notice = [render.long_text_notice(loc)]
            text = text[: self.config.max_text_chars]
        answer = self._rasa.send_text(profile.pseudonym, text, self._metadata(profile))
        return notice + await self._converse(answer, profile, loc, text)

    async def _ask_rasa_intent(
        self,
        intent: str,
        profile: Profile,
        loc: Localizer,
        entities: str = "",
        city_name: str | None = None,
        extra_metadata: dict[str, Any] | None = None,
    ) -> list[Outbound]:
        metadata = self._metadata(profile) | (extra_metadata or {})
        if city_name:
            metadata["city"] = city_name
        answer = self._rasa.send_intent(profile.pseudonym, intent, metadata, entities)
        return await self._converse(answer, profile, loc)

    async def _converse(
        self,
        answer: Awaitable[RasaAnswer],
        profile: Profile,
        loc: Localizer,
        user_text: str | None = None,
    ) -> list[Outbound]:
        """Await Rasa's answer and render it; say so plainly if Rasa cannot answer."""
        try:
            result = await answer
        except RasaUnavailable:
            logger.exception("Rasa unavailable")
            return render.temporarily_unavailable(loc)
        offer: list[Outbound] = []
        if user_text is not None:
            loc, offer = await self._follow_language(result, user_text, profile, loc)
            offer += await self._after_misunderstanding(result, profile, loc)
            if result.intent in UNANSWERED_INTENTS:
                await self._unanswered.record(
                    result.language or loc.language, user_text, result.best_guess, profile.city_slug
                )
        return await self._render_answer(result, profile, loc) + offer

    async def _after_misunderstanding(
        self, result: RasaAnswer, profile: Profile, loc: Localizer
    ) -> list[Outbound]:
        """Two messages in a row not understood: offer a person (never force it)."""
        count = profile.misunderstood_in_a_row + 1 if result.intent == FALLBACK_INTENT else 0
        if count >= MISUNDERSTOOD_BEFORE_OFFER:
            await self._users.set_misunderstood(profile.pseudonym, 0)
            return [texts.offer_after_misunderstanding(loc)]
        if count != profile.misunderstood_in_a_row:
            await self._users.set_misunderstood(profile.pseudonym, count)
        return []

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
        return loc, [render.language_switch_offer(self._catalogs.localizer(detected), loc.language)]

    async def _render_answer(
        self, result: RasaAnswer, profile: Profile, loc: Localizer
    ) -> list[Outbound]:
        messages: list[Outbound] = []
        for response in result.messages:
            payload = response.get("custom")
            if not isinstance(payload, dict):
                logger.warning(
                    "Rasa sent a response without a custom payload: %s", sorted(response)
                )
                continue
            if payload.get("kind") == HANDOFF_OFFER:
                messages.extend(await self._handoff.offer(profile, loc, payload.get("topic")))
                continue
            city = payload.get("city")
            if payload.get("kind") in CITY_KINDS and city and city != profile.city_slug:
                await self._users.set_city(profile.pseudonym, city)
            messages.extend(await self._renderer.render(loc, payload))
        return messages or [render.menu_message(loc)]

    def _metadata(self, profile: Profile) -> dict[str, Any]:
        return {"language": profile.language, "city": profile.city_name}


def _command_name(inbound: Inbound) -> str | None:
    text = inbound.text.strip()
    if inbound.kind != InboundKind.TEXT or not text.startswith("/"):
        return None
    return text.split(maxsplit=1)[0].lstrip("/").split("@")[0].lower()


def tells_language(text: str) -> bool:
    """Long enough to trust a language guess: three words, or four Chinese characters."""
    han = sum(1 for char in text if "\u3400" <= char <= "\u9fff")
    return len(text.split()) >= MIN_WORDS_FOR_LANGUAGE or han >= MIN_HAN_FOR_LANGUAGE
