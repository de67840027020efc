"""A staff member's browser, without the browser: sign in over HTTP, keep the cookie, find the
CSRF token in the page, and replay a captured cookie from elsewhere (an attacker's copy)."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import aiohttp
from yarl import URL

from tests.support.webchat_http import chat

COOKIE_NAME = "lgnet_staff"
CSRF_INPUT = re.compile(r'name="csrf" value="([^"]+)"')


class StaffClient:
    def __init__(
        self, base_url: str, *, forwarded_for: str | None = None, verify_tls: bool = True
    ) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
        # unsafe=True: keep cookies of 127.0.0.1, as a browser does; verify_tls=False for a
        # test's self-signed certificate
        self.session = aiohttp.ClientSession(
            headers=headers,
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            connector=aiohttp.TCPConnector(ssl=None if verify_tls else False),
        )
        self.last_sign_in_seconds = 0.0

    async def __aenter__(self) -> StaffClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.session.close()

    async def csrf(self, path: str = "/admin/login") -> str:
        async with self.session.get(self.base_url + path, allow_redirects=False) as response:
            found = CSRF_INPUT.search(await response.text())
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    async def sign_in(self, username: str, password: str, area: str = "admin") -> int:
        """The status of the sign-in answer (303 = signed in)."""
        token = await self.csrf(f"/{area}/login")
        start = time.perf_counter()
        async with self.session.post(
            f"{self.base_url}/{area}/login",
            data={"csrf": token, "username": username, "password": password},
            allow_redirects=False,
        ) as response:
            await response.read()
            self.last_sign_in_seconds = time.perf_counter() - start
            self.last_headers = response.headers
            return response.status

    def cookie(self) -> str:
        cookies = self.session.cookie_jar.filter_cookies(URL(self.base_url))
        morsel = cookies.get(COOKIE_NAME)
        assert morsel is not None, "not signed in"
        return morsel.value

    def use_cookie(self, value: str) -> None:
        self.session.cookie_jar.update_cookies({COOKIE_NAME: value}, URL(self.base_url))

    async def get(self, path: str, **kwargs: Any) -> tuple[int, str, Any]:
        async with self.session.get(
            self.base_url + path, allow_redirects=False, **kwargs
        ) as response:
            return response.status, await response.text(errors="replace"), response.headers

    async def post(self, path: str, data: Any = None, **kwargs: Any) -> tuple[int, str, Any]:
        async with self.session.post(
            self.base_url + path, data=data, allow_redirects=False, **kwargs
        ) as response:
            return response.status, await response.text(errors="replace"), response.headers


async def console_hears_live(
    staff: StaffClient,
    console: str,
    person: aiohttp.ClientSession,
    chat_at: str,
    case_id: int,
    summary: str,
) -> None:
    """A signed-in mediator's live page of a case on `console` shows the case, then, within
    5 s, what the person writes next through the web chat at `chat_at`."""
    socket = await staff.session.ws_connect(
        console.replace("http", "ws") + f"/console/cases/{case_id}/live",
        headers={"Origin": console},
    )
    first = json.loads((await socket.receive(timeout=10)).data)
    assert summary in json.dumps(first["messages"], ensure_ascii=False)

    text = f"are you still there? {uuid.uuid4().hex[:8]}"
    sent_at = time.monotonic()
    await chat(person, chat_at, {"text": text})
    # the socket re-reads on its own only every 15 s: sooner, it was told through Redis
    update = json.loads((await socket.receive(timeout=5)).data)
    assert time.monotonic() - sent_at < 5
    assert [m["text"] for m in update["messages"]][-1:] == [text]
    await socket.close()
