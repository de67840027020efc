"""Web chat: a page on 127.0.0.1 that talks to the same conversation core as Telegram."""

from __future__ import annotations

import secrets
from dataclasses import asdict
from typing import Any

from aiohttp import web

from bot.core.conversation import ConversationCore
from bot.core.messages import Inbound, InboundKind, Outbound
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
        common: dict[str, Any] = {"user": user, "channel": CHANNEL, "language_hint": hint}
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
