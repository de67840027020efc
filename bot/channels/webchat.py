"""Web chat: a page on 127.0.0.1 that talks to the same conversation core as Telegram."""

from __future__ import annotations

import secrets
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from aiohttp import web

from bot.core.conversation import ConversationCore
from bot.core.messages import Inbound, InboundKind, Outbound
from bot.core.render import esc
from bot.handoff.models import CaseMessage
from bot.handoff.texts import message_placeholder
from bot.i18n import Localizer
from bot.pseudonym import Pseudonymizer

CHANNEL = "web"
SESSION_COOKIE = "chat_session"
MAX_BODY_CHARS = 20_000


class WebChat:
    def __init__(self, core: ConversationCore, pseudonymize: Pseudonymizer) -> None:
        self._core = core
        self._pseudonymize = pseudonymize

    async def post_message(self, request: web.Request) -> web.Response:
        session_id = request.cookies.get(SESSION_COOKIE) or secrets.token_urlsafe(24)
        try:
            body = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text="expected a JSON body") from None
        inbound = self._inbound(body, session_id, request.headers.get("Accept-Language"))
        messages = await self._core.handle(inbound)
        response = web.json_response({"messages": [outbound_json(m) for m in messages]})
        response.set_cookie(
            SESSION_COOKIE, session_id, httponly=True, samesite="Strict", secure=request.secure
        )
        return response

    def _inbound(
        self, body: dict[str, Any], session_id: str, accept_language: str | None
    ) -> Inbound:
        user = self._pseudonymize(CHANNEL, session_id)
        hint = accept_language.split(",")[0].split(";")[0].strip() if accept_language else None
        common: dict[str, Any] = {
            "user": user,
            "channel": CHANNEL,
            "language_hint": hint,
            "address": session_id,
            "origin": f"web:{uuid.uuid4()}",
        }
        if "button" in body:
            return Inbound(kind=InboundKind.BUTTON, data=str(body["button"])[:64], **common)
        if "location" in body:
            location = body["location"]
            return Inbound(
                kind=InboundKind.LOCATION,
                latitude=float(location["latitude"]),
                longitude=float(location["longitude"]),
                **common,
            )
        return Inbound(
            kind=InboundKind.TEXT, text=str(body.get("text", ""))[:MAX_BODY_CHARS], **common
        )


def outbound_json(outbound: Outbound) -> dict[str, Any]:
    return asdict(outbound)


class WebChatInbox:
    """Messages for web chat users that arrive later (a mediator's replies, case news).

    The page polls `/api/chat/inbox`. Kept in memory: the web chat is for trying the
    assistant locally; people reach mediators for real through Telegram.
    """

    def __init__(self, staff: Localizer) -> None:
        self._pending: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._staff = staff

    async def send(self, address: str, messages: Sequence[Outbound]) -> None:
        self._pending[address].extend(outbound_json(m) for m in messages)

    async def relay_to_person(self, address: str, message: CaseMessage) -> None:
        text = message.text if message.kind == "text" else message_placeholder(self._staff, message)
        self._pending[address].append(outbound_json(Outbound(text=esc(text))))

    def take(self, address: str) -> list[dict[str, Any]]:
        return self._pending.pop(address, [])

    async def get_inbox(self, request: web.Request) -> web.Response:
        session_id = request.cookies.get(SESSION_COOKIE)
        return web.json_response({"messages": self.take(session_id) if session_id else []})
