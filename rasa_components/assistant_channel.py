"""Rasa input channel for the app: the REST channel's request, plus the NLU result.

POST /webhooks/assistant/webhook {"sender", "message", "metadata"} answers
{"messages": [...bot messages...], "nlu": {"intent", "language", "language_confidence"}},
so that the app learns in the same round trip in which language the person wrote, and can
choose the reply language before rendering. Configured in `credentials.yml`.

Only the app may call it: every request carries `Authorization: Bearer <RASA_AUTH_TOKEN>`
(the token of Rasa's HTTP API, which `rasa_components.serve` puts in the environment);
without it the channel answers 401 and Rasa never sees the message, so no other local
process can speak for a person or send `/intent{…}` shortcuts.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

NLU_FIELDS = ("intent", "language", "language_confidence")


class AssistantInput(RestInput):
    def __init__(self, token: str = "") -> None:
        self._token = token

    @classmethod
    def name(cls) -> str:
        return "assistant"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> AssistantInput:
        return cls(os.environ.get("RASA_AUTH_TOKEN", ""))

    def allowed(self, request: Request) -> bool:
        sent = request.headers.get("Authorization", "")
        expected = f"Bearer {self._token}"
        return bool(self._token) and hmac.compare_digest(sent.encode(), expected.encode())

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("assistant_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.allowed(request):
                return response.json({"error": "unauthorized"}, status=401)
            body = request.json if isinstance(request.json, dict) else {}
            sender = str(body.get("sender") or "")
            if not sender:
                return response.json({"error": "sender is required"}, status=400)
            collector = CollectingOutputChannel()
            await on_new_message(
                UserMessage(
                    str(body.get("message") or ""),
                    collector,
                    sender,
                    input_channel=self.name(),
                    metadata=body.get("metadata") or {},
                )
            )
            nlu = await latest_nlu(request, sender)
            return response.json({"messages": collector.messages, "nlu": nlu})

        return webhook


async def latest_nlu(request: Request, sender: str) -> dict[str, Any]:
    tracker = await request.app.ctx.agent.tracker_store.retrieve(sender)
    if tracker is None or tracker.latest_message is None:
        return {}
    parse = tracker.latest_message.parse_data
    return {field: parse.get(field) for field in NLU_FIELDS if field in parse}
