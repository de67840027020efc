"""Rasa input channel for the app: the REST channel's request, plus the NLU result.

POST /webhooks/assistant/webhook {"sender", "message", "metadata"} answers
{"messages": [...bot messages...], "nlu": {"intent", "language", "language_confidence"}},
so that the app learns in the same round trip in which language the person wrote, and can
choose the reply language before rendering. Configured in `credentials.yml`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

NLU_FIELDS = ("intent", "language", "language_confidence")


class AssistantInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "assistant"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("assistant_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.json or {}
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
