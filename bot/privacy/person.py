"""The person's privacy, in the conversation: the short notice at first contact and with
`/privacy`, `/mydata` (their data as a text and as JSON) and `/forget` (asked once more,
confirm first and cancel second, then everything deleted everywhere).

The same erasure and export serve staff answering a request made by e-mail
(`python -m bot.privacy forget|export`), recorded in the privacy log.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.core import buttons
from bot.core.contract import read_answer
from bot.core.messages import Document, Outbound
from bot.core.rasa_client import RasaUnavailable
from bot.core.render import Renderer
from bot.core.users import Profile
from bot.i18n import Localizer
from bot.logs import short
from bot.privacy import texts
from bot.privacy.access import DataAccess, as_json, as_text, plain
from bot.privacy.erasure import Eraser, ErasureReport
from bot.privacy.log import PrivacyLog
from bot.privacy.models import PrivacyAction
from bot.privacy.rekey import Renamer

logger = logging.getLogger(__name__)

COMMANDS = frozenset({"privacy", "mydata", "forget"})
BUTTONS = (buttons.ConfirmForget, buttons.CancelForget)
# tells the mediators' surfaces that a case was withdrawn (`Relay.withdraw`):
# (case number, its forum topic, whether it was open) -> the topic is gone
Withdraw = Callable[[int, int | None, bool], Awaitable[bool]]


@dataclass(frozen=True)
class PrivacyConfig:
    controller: str
    contact: str
    dpo: str
    retention_days: int
    public_url: str  # where the full notice is served


class PrivacyDesk:
    def __init__(
        self,
        config: PrivacyConfig,
        eraser: Eraser,
        access: DataAccess,
        log: PrivacyLog,
        withdraw: Withdraw | None,
        renderer: Renderer | None,
        renamer: Renamer | None = None,
    ) -> None:
        self.config = config
        self._eraser = eraser
        self._access = access
        self.log = log
        self._withdraw = withdraw
        self._renderer = renderer
        self._renamer = renamer

    async def adopt(self, pseudonym: str, earlier: tuple[str, ...]) -> None:
        """After a rotation of the pseudonym key: the person's history follows them."""
        if self._renamer is not None:
            await self._renamer.adopt(pseudonym, earlier)

    def facts(self, loc: Localizer) -> texts.NoticeFacts:
        config = self.config
        return texts.NoticeFacts(
            controller=config.controller,
            contact=config.contact,
            dpo=config.dpo,
            retention_days=config.retention_days,
            notice_url=texts.notice_url(config.public_url, loc.language),
        )

    def at_first_contact(self, messages: list[Outbound], loc: Localizer) -> list[Outbound]:
        return texts.with_notice(messages, texts.short_notice(loc, self.facts(loc)))

    async def command(
        self, name: str, profile: Profile, loc: Localizer, case_open: bool
    ) -> list[Outbound]:
        if name == "privacy":
            return texts.privacy(loc, self.facts(loc))
        if name == "mydata":
            return await self.my_data(profile.pseudonym, loc)
        if profile.is_new:  # unknown, or already erased: only this message's profile
            await self.forget(profile.pseudonym)
            return texts.nothing_to_forget(loc)
        return texts.ask_forget(loc, case_open)

    async def button(
        self, button: buttons.ButtonData | None, profile: Profile, loc: Localizer
    ) -> list[Outbound]:
        if not isinstance(button, buttons.ConfirmForget):
            return texts.forget_cancelled(loc)
        report = await self.forget(profile.pseudonym)
        # a button pressed again after the erasure: only this press's profile was there
        if profile.is_new or not report.anything:
            return texts.nothing_to_forget(loc)
        return texts.forgotten(loc)

    async def my_data(self, pseudonym: str, loc: Localizer) -> list[Outbound]:
        try:
            documents = await self.export(pseudonym, loc)
        except RasaUnavailable:
            return texts.data_unavailable(loc)
        return texts.your_data(loc, *documents)

    async def forget(self, pseudonym: str, actor_id: int | None = None) -> ErasureReport:
        """Erase one person everywhere; tell the mediators; log the cases that went."""
        report = await self._eraser.erase(pseudonym)
        for case in report.cases:
            if self._withdraw is not None:
                await self._withdraw(case.id, case.forum_thread_id, case.was_open)
        action = PrivacyAction.WITHDRAWN if actor_id is None else PrivacyAction.DATA_ERASED
        if report.cases or actor_id is not None:
            await self.log.record(action, actor_id, [c.id for c in report.cases], report.summary())
        logger.info("erasure of %s: %s", short(pseudonym), report.summary())
        return report

    async def export(
        self, pseudonym: str, loc: Localizer, actor_id: int | None = None
    ) -> tuple[Document, Document]:
        data = await self._access.collect(pseudonym)
        if actor_id is not None:
            await self.log.record(
                PrivacyAction.DATA_EXPORTED,
                actor_id,
                [case.number for case in data.cases],
                f"{len(data.cases)} casi",
            )
        text_file = await as_text(data, loc, self.config.contact, self._describe)
        return text_file, as_json(data)

    async def _describe(self, loc: Localizer, payload: dict[str, Any]) -> str:
        answer = read_answer(payload) if payload else None
        if answer is None or self._renderer is None:
            return ""
        rendered = await self._renderer.render(loc, answer)
        return " ".join(plain(str(outbound.text)).replace("\n", " ") for outbound in rendered)
