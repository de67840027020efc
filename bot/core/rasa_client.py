"""Talks to the Rasa servers over the app's input channel (`rasa_components.assistant_channel`,
a REST channel that also returns the NLU result). With several servers, each person's
messages go to one of them and fail over to the next (`bot.core.rasa_routing`)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bot.core.rasa_routing import (
    RASA_ERRORS,
    RASA_FAILOVERS,
    RASA_SECONDS,
    RasaRing,
    ServerHealth,
)

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


CHANNEL_PATH = "/webhooks/assistant/webhook"


class RasaClient:
    def __init__(
        self,
        base_urls: str | Sequence[str],
        timeout_seconds: float,
        auth_token: str = "",
        down_seconds: float = 5.0,
        concurrency_per_server: int = 8,
    ) -> None:
        self._ring = RasaRing([base_urls] if isinstance(base_urls, str) else base_urls)
        self._health = ServerHealth(down_seconds)
        # a Rasa server is one CPU-bound process: more calls at once only make each slower,
        # until they time out; the others wait here, and the timeout counts from the call
        self._slots = {
            server: asyncio.Semaphore(concurrency_per_server) for server in self._ring.servers
        }
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
        server = self._health.order(self._ring.preference(sender))[0]  # the person's own
        url = f"{server}/conversations/{sender}/tracker"
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
        """The person's own server; the next one if it cannot be reached or fails (5xx).
        A timeout is not retried elsewhere: the server may still be handling the message."""
        body = {"sender": sender, "message": message, "metadata": metadata}
        servers = self._health.order(self._ring.preference(sender))
        for attempt, server in enumerate(servers):
            if attempt:
                RASA_FAILOVERS.inc()
            try:
                return await self._post_to(server, body)
            except _ServerDown:
                self._health.mark_down(server)
        raise RasaUnavailable("no Rasa server answered")

    async def _post_to(self, server: str, body: dict[str, Any]) -> RasaAnswer:
        if self._session is None:
            raise RuntimeError("RasaClient.start() was not called")
        async with self._slots[server]:
            return await self._call(server, body)

    async def _call(self, server: str, body: dict[str, Any]) -> RasaAnswer:
        assert self._session is not None
        started = time.perf_counter()
        try:
            async with self._session.post(server + CHANNEL_PATH, json=body) as response:
                status = response.status
                answer = await response.json() if status == 200 else {}
        except TimeoutError as error:  # first: aiohttp's socket timeouts are connection errors
            RASA_ERRORS.labels(server).inc()
            logger.warning(
                "Rasa server %s timed out after %.1f s", server, time.perf_counter() - started
            )
            raise RasaUnavailable("timed out") from error
        except aiohttp.ClientConnectionError as error:
            RASA_ERRORS.labels(server).inc()
            raise _ServerDown(type(error).__name__) from error
        except aiohttp.ClientError as error:
            RASA_ERRORS.labels(server).inc()
            raise RasaUnavailable(type(error).__name__) from error
        if status != 200:
            RASA_ERRORS.labels(server).inc()
            if status >= 500:
                raise _ServerDown(f"HTTP {status}")
            raise RasaUnavailable(f"Rasa answered HTTP {status}")
        self._health.mark_up(server)
        RASA_SECONDS.labels(server).observe(time.perf_counter() - started)
        return RasaAnswer(list(answer.get("messages") or []), dict(answer.get("nlu") or {}))


class _ServerDown(Exception):
    """This server cannot be reached or failed: the next one may answer."""


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
