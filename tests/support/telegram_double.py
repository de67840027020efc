"""A Telegram Bot API server double on 127.0.0.1.

python-telegram-bot reaches it through `base_url`, so the bot's real HTTP layer runs.
Tests play users: they queue updates (served by `getUpdates` long polling, or pushed to a
webhook) and read what the bot sent (`sendMessage`, `sendVenue`, ...), with timestamps.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 7_000_000_001
BOT_USERNAME = "lgnet_assistant_test_bot"
TOKEN = f"{BOT_ID}:TEST-TOKEN-abcdefghijklmnopqrstuvwxyz"
GROUP_CHAT_ID = -100_123
MEDIATORS_CHAT_ID = -100_777


@dataclass
class BotCall:
    """One request the bot made to the Bot API."""

    method: str
    params: dict[str, Any]
    received_at: float
    failed: bool = False  # the double answered with an injected error

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def reply_markup(self) -> dict[str, Any]:
        markup = self.params.get("reply_markup") or {}
        return markup if isinstance(markup, dict) else json.loads(markup)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [b for row in self.reply_markup.get("inline_keyboard", []) for b in row]

    def button(self, label_part: str) -> dict[str, Any]:
        for button in self.buttons:
            if label_part in button["text"]:
                return button
        raise AssertionError(
            f"no button with {label_part!r} in {[b['text'] for b in self.buttons]}"
        )

    @property
    def keyboard_buttons(self) -> list[dict[str, Any]]:
        return [b for row in self.reply_markup.get("keyboard", []) for b in row]


@dataclass
class TelegramUser:
    id: int
    first_name: str = "Test"
    language_code: str | None = "en"
    username: str | None = None

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            data["language_code"] = self.language_code
        if self.username:
            data["username"] = self.username
        return data


@dataclass
class BotApiDouble:
    host: str = "127.0.0.1"
    port: int = 0
    calls: list[BotCall] = field(default_factory=list)
    fail_next: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    webhook_url: str | None = None
    webhook_secret: str | None = None
    # members of the mediators' supergroup (getChatMember answers "member" for them)
    group_members: set[int] = field(default_factory=set)
    topics: dict[int, dict[str, Any]] = field(default_factory=dict)
    # what getFile and the file download serve: the content of each file a user sent
    files: dict[str, bytes] = field(default_factory=dict)
    downloads: list[str] = field(default_factory=list)  # file paths downloaded, in order

    def __post_init__(self) -> None:
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._new_update = asyncio.Event()
        self._new_call = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.update_times: dict[int, float] = {}

    # --- server lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    # --- playing users ----------------------------------------------------------------

    def _message(
        self, user: TelegramUser, chat: dict[str, Any] | None = None, **content: Any
    ) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat or {"id": user.id, "type": "private", "first_name": user.first_name},
            "from": user.as_json(),
            **content,
        }

    def push(self, payload: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **payload})
        self.update_times[update_id] = time.perf_counter()
        self._new_update.set()
        return update_id

    def send_text(self, user: TelegramUser, text: str, **extra: Any) -> int:
        content: dict[str, Any] = {"text": text, **extra}
        if text.startswith("/"):
            command = text.split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self.push({"message": self._message(user, **content)})

    def edit_text(self, user: TelegramUser, text: str) -> int:
        message = self._message(user, text=text, edit_date=int(time.time()))
        return self.push({"edited_message": message})

    def send_location(self, user: TelegramUser, latitude: float, longitude: float) -> int:
        location = {"latitude": latitude, "longitude": longitude}
        return self.push({"message": self._message(user, location=location)})

    def send_media(self, user: TelegramUser, kind: str, caption: str | None = None) -> int:
        file = {"file_id": f"{kind}-file", "file_unique_id": f"{kind}-unique"}
        self.files.setdefault(file["file_id"], f"{kind} content of the test".encode())
        contents: dict[str, dict[str, Any]] = {
            "voice": {"voice": {**file, "duration": 3}},
            "sticker": {
                "sticker": {
                    **file,
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                    "emoji": "😀",
                }
            },
            "document": {"document": {**file, "file_name": "permesso.pdf"}},
            "photo": {"photo": [{**file, "width": 90, "height": 90}]},
        }
        extra = {"caption": caption} if caption else {}
        return self.push({"message": self._message(user, **contents[kind], **extra)})

    def send_group_text(self, user: TelegramUser, text: str) -> int:
        chat = {"id": GROUP_CHAT_ID, "type": "supergroup", "title": "Community"}
        return self.push({"message": self._message(user, chat=chat, text=text)})

    def send_in_topic(self, user: TelegramUser, thread_id: int, **content: Any) -> int:
        """A mediator writes in a case's forum topic of the mediators' group."""
        chat = {
            "id": MEDIATORS_CHAT_ID,
            "type": "supergroup",
            "title": "Mediators",
            "is_forum": True,
        }
        if str(content.get("text", "")).startswith("/"):
            command = content["text"].split()[0]
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        message = self._message(
            user, chat=chat, message_thread_id=thread_id, is_topic_message=True, **content
        )
        return self.push({"message": message})

    def press_in_group(self, user: TelegramUser, callback_data: str, thread_id: int) -> int:
        query = {
            "id": str(next(self._message_ids)),
            "from": user.as_json(),
            "chat_instance": "mediators",
            "data": callback_data,
            "message": {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": MEDIATORS_CHAT_ID, "type": "supergroup", "is_forum": True},
                "message_thread_id": thread_id,
                "is_topic_message": True,
                "text": "…",
            },
        }
        return self.push({"callback_query": query})

    def press(self, user: TelegramUser, callback_data: str) -> int:
        query = {
            "id": str(next(self._message_ids)),
            "from": user.as_json(),
            "chat_instance": "ci",
            "data": callback_data,
            "message": {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": user.id, "type": "private"},
                "text": "…",
            },
        }
        return self.push({"callback_query": query})

    # --- reading what the bot sent ----------------------------------------------------

    def sent_to(
        self, chat_id: int, methods: tuple[str, ...] = ("sendMessage", "sendVenue")
    ) -> list[BotCall]:
        return [c for c in self.calls if c.chat_id == chat_id and c.method in methods]

    def in_topic(self, thread_id: int) -> list[BotCall]:
        """What the bot posted or copied into a forum topic of the mediators' group."""
        return [
            c
            for c in self.calls
            if c.chat_id == MEDIATORS_CHAT_ID
            and str(c.params.get("message_thread_id")) == str(thread_id)
            and c.method in ("sendMessage", "copyMessage")
        ]

    async def wait_for(
        self, predicate: Any, timeout: float = 30.0, what: str = "a call"
    ) -> list[BotCall]:
        """Wait until `predicate(calls)` returns a non-empty list, and return it."""
        deadline = time.monotonic() + timeout
        while True:
            found = predicate(self.calls)
            if found:
                return list(found)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out waiting for {what}")
            await self._wait_call(min(remaining, 0.5))

    async def replies(
        self,
        chat_id: int,
        after: int,
        count: int | None = None,
        until: Callable[[list[BotCall]], bool] | None = None,
        timeout: float = 30.0,
    ) -> list[BotCall]:
        """The messages sent to `chat_id` after the first `after` ones: the next `count` of
        them, or as many as it takes for `until(replies)` to be true. Waits with a deadline;
        never decides that the bot has finished because it was quiet for a while."""
        if until is None:
            wanted = 1 if count is None else count

            def until(replies: list[BotCall]) -> bool:
                return len(replies) >= wanted

        def ready(_: list[BotCall]) -> list[BotCall]:
            replies = self.sent_to(chat_id)[after:]
            return replies if replies and until(replies) else []

        replies = await self.wait_for(ready, timeout, what=f"the replies to chat {chat_id}")
        return replies[:count] if count is not None else replies

    async def _wait_call(self, seconds: float) -> None:
        self._new_call.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._new_call.wait(), seconds)

    # --- the Bot API ------------------------------------------------------------------

    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        call = BotCall(method, params, time.perf_counter())
        if method != "getUpdates":
            self.calls.append(call)
            self._new_call.set()
        for index, (failing_method, status, body) in enumerate(self.fail_next):
            if failing_method == method:
                del self.fail_next[index]
                call.failed = True
                return web.json_response(body, status=status)
        handler = getattr(self, f"_api_{method}", None)
        result = await handler(params) if handler else True
        return web.json_response({"ok": True, "result": result})

    async def _api_getMe(self, _: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "Assistant",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _api_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout > 0:
            self._new_update.clear()
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout)
            except TimeoutError:
                return []
        return list(self._updates[:100])

    async def _api_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = params.get("url")
        self.webhook_secret = params.get("secret_token")
        return True

    async def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "text": params.get("text", ""),
        }

    async def _api_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = str(params["file_id"])
        if file_id not in self.files:
            raise web.HTTPBadRequest(
                text=json.dumps({"ok": False, "error_code": 400, "description": "file not found"}),
                content_type="application/json",
            )
        return {
            "file_id": file_id,
            "file_unique_id": f"{file_id}-unique",
            "file_size": len(self.files[file_id]),
            "file_path": f"files/{file_id}",
        }

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != TOKEN:
            raise web.HTTPUnauthorized()
        path = request.match_info["path"]
        file_id = path.removeprefix("files/")
        if file_id not in self.files:
            raise web.HTTPNotFound()
        self.downloads.append(path)
        return web.Response(body=self.files[file_id], content_type="application/octet-stream")

    async def _api_copyMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"message_id": next(self._message_ids)}

    async def _api_createForumTopic(self, params: dict[str, Any]) -> dict[str, Any]:
        thread_id = next(self._message_ids)
        self.topics[thread_id] = {"name": params["name"], "closed": False}
        return {"message_thread_id": thread_id, "name": params["name"], "icon_color": 7322096}

    async def _api_closeForumTopic(self, params: dict[str, Any]) -> bool:
        self.topics[int(params["message_thread_id"])]["closed"] = True
        return True

    async def _api_getChatMember(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = int(params["user_id"])
        status = "member" if user_id in self.group_members else "left"
        return {"status": status, "user": {"id": user_id, "is_bot": False, "first_name": "M"}}

    async def _api_sendVenue(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        location = {"latitude": float(params["latitude"]), "longitude": float(params["longitude"])}
        venue = {"location": location, "title": params["title"], "address": params["address"]}
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "venue": venue,
            "location": location,
        }


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        return dict(await request.json())
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, str):
            params[key] = json.loads(value) if key in JSON_FIELDS else value
    return params


JSON_FIELDS = frozenset(
    {"reply_markup", "link_preview_options", "commands", "entities", "allowed_updates"}
)
