"""Web chat: a page that talks to the same conversation as Telegram.

A request's body is read once, here, into a typed `Inbound`: `{"text": …}`, `{"button": …}` or
`{"location": {"latitude": …, "longitude": …}}`; anything else is an unreadable message,
answered in the person's language with a 400. Limits per client address (after trusted
proxies): messages per minute, new people per hour; both answered in the person's
language with a 429 and `Retry-After`.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict, StrictStr, TypeAdapter, ValidationError

from bot.conversation import Conversation
from bot.core import buttons, replies
from bot.core.commands import parse_command
from bot.core.markup import escape
from bot.core.messages import (
    MAX_TEXT_CHARS,
    Channel,
    Inbound,
    InboundKind,
    Location,
    Outbound,
    clean_text,
)
from bot.handoff.models import CaseMessage
from bot.handoff.texts import message_placeholder
from bot.i18n import Localizer
from bot.limits import Limits, retry_after
from bot.pseudonym import Pseudonymizer
from bot.shared.pending import MemoryPendingReplies, PendingReplies

CHANNEL = Channel.WEB.value
SESSION_COOKIE = "chat_session"
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{24,64}$")
MINUTE, HOUR = 60.0, 3600.0


class _Text(BaseModel):
    model_config = ConfigDict(extra="ignore")
    text: StrictStr


class _Button(BaseModel):
    model_config = ConfigDict(extra="ignore")
    button: StrictStr


class _Location(BaseModel):
    model_config = ConfigDict(extra="ignore")
    location: Any


_body: TypeAdapter[_Button | _Location | _Text] = TypeAdapter(_Button | _Location | _Text)


@dataclass(frozen=True)
class WebChatLimits:
    messages_per_minute: int  # per client address
    new_people_per_hour: int  # per client address


def read_body(raw: bytes) -> tuple[InboundKind, dict[str, Any]]:
    """What a request body says, as the fields of an `Inbound` (unreadable: no fields)."""
    try:
        body = _body.validate_python(json.loads(raw))
    except (ValueError, ValidationError):
        return InboundKind.UNREADABLE, {}
    if isinstance(body, _Button):
        return InboundKind.BUTTON, {"button": buttons.unpack(body.button[:128])}
    if isinstance(body, _Location):
        value = body.location if isinstance(body.location, dict) else {}
        location = Location.checked(value.get("latitude"), value.get("longitude"))
        kind = InboundKind.LOCATION if location else InboundKind.BAD_LOCATION
        return kind, {"location": location}
    text = clean_text(body.text, MAX_TEXT_CHARS)
    command = parse_command(text)
    if command is not None:
        return InboundKind.COMMAND, {"text": text, "command": command}
    return InboundKind.TEXT, {"text": text}


class WebChat:
    def __init__(
        self,
        conversation: Conversation,
        pseudonymize: Pseudonymizer,
        limits: Limits,
        chat_limits: WebChatLimits,
    ) -> None:
        self._conversation = conversation
        self._pseudonymize = pseudonymize
        self._limits = limits
        self._chat_limits = chat_limits

    async def post_message(self, request: web.Request) -> web.Response:
        network = self._pseudonymize.tag("address", request.remote or "")
        session_id = request.cookies.get(SESSION_COOKIE, "")
        hint = _accept_language(request.headers.get("Accept-Language"))
        loc = self._conversation.localizer(self._conversation.hinted_language(hint))
        wait = await self._limits.take(
            f"webchat-address:{network}", self._chat_limits.messages_per_minute, MINUTE
        )
        if wait:
            return _refused(replies.too_fast(loc), wait)
        if not SESSION_ID.match(session_id):
            wait = await self._limits.take(
                f"webchat-new:{network}", self._chat_limits.new_people_per_hour, HOUR
            )
            if wait:
                return _refused(replies.too_many_people(loc), wait)
            session_id = secrets.token_urlsafe(24)
        kind, fields = read_body(await request.read())
        inbound = Inbound(
            user=self._pseudonymize(CHANNEL, session_id),
            earlier_users=self._pseudonymize.earlier(CHANNEL, session_id),
            channel=CHANNEL,
            kind=kind,
            language_hint=hint,
            address=session_id,
            origin=f"web:{uuid.uuid4()}",
            network=network,
            **fields,
        )
        messages = await self._conversation.handle(inbound)
        status = 400 if kind == InboundKind.UNREADABLE else 200
        response = web.json_response(
            {"messages": [outbound_json(m) for m in messages]}, status=status
        )
        response.set_cookie(
            SESSION_COOKIE, session_id, httponly=True, samesite="Strict", secure=request.secure
        )
        return response


def _accept_language(header: str | None) -> str | None:
    return header.split(",")[0].split(";")[0].strip()[:16] if header else None


def _refused(messages: list[Outbound], wait: float) -> web.Response:
    response = web.json_response({"messages": [outbound_json(m) for m in messages]}, status=429)
    response.headers["Retry-After"] = str(retry_after(wait))
    return response


def outbound_json(outbound: Outbound) -> dict[str, Any]:
    data = asdict(outbound)
    data["text"] = str(outbound.text)
    # downloads made by the page itself: no copy is kept on the server
    data["documents"] = [
        {
            "filename": document.filename,
            "mime_type": document.mime_type,
            "data": base64.b64encode(document.content).decode(),
        }
        for document in outbound.documents
    ]
    return data


class WebChatInbox:
    """Messages for web chat users that arrive later (a mediator's replies, case news).

    The page polls `/api/chat/inbox`. They wait in `pending`: in this process, or in Redis
    when several workers serve the page (`bot.shared.pending`).
    """

    def __init__(self, staff: Localizer, pending: PendingReplies | None = None) -> None:
        self._pending = pending or MemoryPendingReplies()
        self._staff = staff

    async def send(self, address: str, messages: Sequence[Outbound]) -> None:
        await self._pending.push(address, [outbound_json(m) for m in messages])

    async def relay_to_person(self, address: str, message: CaseMessage) -> None:
        text = message.text if message.kind == "text" else message_placeholder(self._staff, message)
        await self._pending.push(address, [outbound_json(Outbound(text=escape(text)))])

    async def take(self, address: str) -> list[dict[str, Any]]:
        return await self._pending.take(address)

    async def get_inbox(self, request: web.Request) -> web.Response:
        session_id = request.cookies.get(SESSION_COOKIE)
        return web.json_response({"messages": await self.take(session_id) if session_id else []})
