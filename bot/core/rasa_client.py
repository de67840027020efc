"""Talks to the Rasa server over the app's input channel (`rasa_components.assistant_channel`,
a REST channel that also returns the NLU result), on loopback."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

INTENT_PREFIX = "/"


@dataclass(frozen=True)
class RasaAnswer:
    messages: list[dict[str, Any]]
    nlu: dict[str, Any] = field(default_factory=dict)

    @property
    def intent(self) -> str | None:
        return (self.nlu.get("intent") or {}).get("name")

    @property
    def best_guess(self) -> str:
        """The most likely real intent (below the fallback's threshold, if it fell back)."""
        for entry in self.nlu.get("intent_ranking") or []:
            if entry.get("name") and entry["name"] != "nlu_fallback":
                return str(entry["name"])
        return self.intent or ""

    @property
    def language(self) -> str | None:
        return self.nlu.get("language")

    @property
    def language_confidence(self) -> float:
        return float(self.nlu.get("language_confidence") or 0.0)


class RasaUnavailable(RuntimeError):
    """Rasa did not answer (down, starting, timed out, or errored)."""


class RasaClient:
    def __init__(self, base_url: str, timeout_seconds: float, auth_token: str = "") -> None:
        self._base_url = base_url.rstrip("/")
        self._url = self._base_url + "/webhooks/assistant/webhook"
        self._auth_token = auth_token
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        # the app's channel into Rasa refuses calls without this secret
        headers = {"Authorization": f"Bearer {self._auth_token}"}
        self._session = aiohttp.ClientSession(timeout=self._timeout, headers=headers)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send_text(self, sender: str, text: str, metadata: dict[str, Any]) -> RasaAnswer:
        """A user's own words: never interpreted as an `/intent{...}` shortcut."""
        return await self._post(sender, as_user_text(text), metadata)

    async def send_intent(
        self, sender: str, intent: str, metadata: dict[str, Any], entities: dict[str, str]
    ) -> RasaAnswer:
        """A trusted intent chosen by the app (a button, a shared location)."""
        values = json.dumps(entities, ensure_ascii=False) if entities else ""
        return await self._post(sender, f"{INTENT_PREFIX}{intent}{values}", metadata)

    async def recent_user_texts(self, sender: str, limit: int = 8) -> list[str]:
        """What the person last wrote to the assistant (for a mediator's case summary)."""
        try:
            events = await self._tracker_events(sender, "APPLIED")
        except RasaUnavailable:
            logger.warning("could not read the conversation from Rasa")
            return []
        texts = [
            str(event.get("text") or "")
            for event in events
            if event.get("event") == "user"
            and event.get("text")
            and not str(event.get("text")).startswith(INTENT_PREFIX)
        ]
        return texts[-limit:]

    async def conversation(self, sender: str) -> list[ConversationEvent]:
        """Everything Rasa keeps of a conversation, every session: what the person wrote
        (an app's button shows as its intent) and what the assistant answered (a payload)."""
        return [
            ConversationEvent(
                at=float(event.get("timestamp") or 0.0),
                by_person=event.get("event") == "user",
                text=str(event.get("text") or ""),
                payload=dict((event.get("data") or {}).get("custom") or {}),
            )
            for event in await self._tracker_events(sender, "ALL")
            if event.get("event") in ("user", "bot")
        ]

    async def _tracker_events(self, sender: str, which: str) -> list[dict[str, Any]]:
        """The events of a conversation's tracker (`which`: APPLIED, ALL)."""
        if self._session is None:
            raise RuntimeError("RasaClient.start() was not called")
        url = f"{self._base_url}/conversations/{sender}/tracker"
        params = {"token": self._auth_token, "include_events": which}
        try:
            async with self._session.get(url, params=params) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"Rasa answered HTTP {response.status}")
                tracker = await response.json()
        except (aiohttp.ClientError, TimeoutError) as error:
            raise RasaUnavailable(str(error)) from error
        return list(tracker.get("events") or [])

    async def _post(self, sender: str, message: str, metadata: dict[str, Any]) -> RasaAnswer:
        if self._session is None:
            raise RuntimeError("RasaClient.start() was not called")
        body = {"sender": sender, "message": message, "metadata": metadata}
        try:
            async with self._session.post(self._url, json=body) as response:
                if response.status != 200:
                    raise RasaUnavailable(f"Rasa answered HTTP {response.status}")
                body = await response.json()
                return RasaAnswer(list(body.get("messages") or []), dict(body.get("nlu") or {}))
        except (aiohttp.ClientError, TimeoutError) as error:
            raise RasaUnavailable(str(error)) from error


@dataclass(frozen=True)
class ConversationEvent:
    at: float  # seconds since the epoch
    by_person: bool
    text: str  # what the person wrote ("/intent…" for an app's button); "" for answers
    payload: dict[str, Any]  # the assistant's answer (`bot.core.contract`)

    @property
    def is_button(self) -> bool:
        return self.by_person and self.text.startswith(INTENT_PREFIX)


def as_user_text(text: str) -> str:
    """Text that Rasa will run through NLU: it cannot start with the intent prefix."""
    cleaned = text.strip()
    while cleaned.startswith(INTENT_PREFIX):
        cleaned = cleaned[len(INTENT_PREFIX) :].lstrip()
    return cleaned
