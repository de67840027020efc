"""Staff sign-in for the web pages: an encrypted HttpOnly cookie holding a server-side
session's token and the CSRF token. The session is checked in the database on every
request (WebSockets included), so it can be ended at once; permissions are checked by the
server on every request."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from aiohttp import web
from aiohttp_session import Session, get_session, session_middleware
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from sqlalchemy import select

from bot.kb.db import Database
from bot.staff.models import StaffAccount
from bot.staff.sessions import StaffSessions

COOKIE_NAME = "lgnet_staff"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
TOKEN_KEY = "session"
sessions_key = web.AppKey("staff_sessions", StaffSessions)


class StaffCookieStorage(EncryptedCookieStorage):
    """Secure whenever the public address is HTTPS or the request came over HTTPS."""

    def __init__(self, key: bytes, *, max_age: int, always_secure: bool) -> None:
        super().__init__(
            key, cookie_name=COOKIE_NAME, max_age=max_age, httponly=True, samesite="Strict"
        )
        self._always_secure = always_secure

    async def save_session(
        self, request: web.Request, response: web.StreamResponse, session: Session
    ) -> None:
        self._cookie_params["secure"] = self._always_secure or request.secure
        await super().save_session(request, response, session)


def auth_middleware(
    app: web.Application, secret: bytes, sessions: StaffSessions, *, always_secure: bool
) -> Any:
    """The cookie's middleware; the sessions are kept for the handlers."""
    key = hashlib.sha256(b"lgnet staff sessions\0" + secret).digest()
    max_age = int(sessions.lifetime.total_seconds())
    app[sessions_key] = sessions
    return session_middleware(StaffCookieStorage(key, max_age=max_age, always_secure=always_secure))


async def csrf_token(request: web.Request) -> str:
    session = await get_session(request)
    token = session.get(CSRF_FIELD)
    if not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_FIELD] = token
    return str(token)


async def check_csrf(request: web.Request) -> None:
    """Every state-changing request carries the session's token (form field or header)."""
    session = await get_session(request)
    expected = str(session.get(CSRF_FIELD) or "")
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        sent = str((await request.post()).get(CSRF_FIELD, ""))
    if not expected or not hmac.compare_digest(sent, expected):
        raise web.HTTPForbidden(reason="CSRF token missing or wrong")


async def sign_in(request: web.Request, account: StaffAccount) -> None:
    session = await get_session(request)
    session.invalidate()
    session = await get_session(request)
    session[TOKEN_KEY] = await request.app[sessions_key].open(account.id)
    session[CSRF_FIELD] = secrets.token_urlsafe(32)


async def sign_out(request: web.Request, account: StaffAccount | None) -> None:
    """Ends every session of the account, on every device, then clears this cookie."""
    if account is not None:
        await request.app[sessions_key].end_all(account.id)
    (await get_session(request)).invalidate()


async def signed_in_account(request: web.Request) -> StaffAccount | None:
    token = (await get_session(request)).get(TOKEN_KEY)
    if not isinstance(token, str) or not token:
        return None
    return await request.app[sessions_key].account(token)


async def account_by_username(database: Database, username: str) -> StaffAccount | None:
    async with database.session() as session:
        return await session.scalar(select(StaffAccount).where(StaffAccount.username == username))
