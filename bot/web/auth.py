"""Staff sign-in for the web pages: argon2 passwords, encrypted session cookies, CSRF tokens,
and a limit on failed sign-ins. Permissions are checked by the server on every request."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp_session import get_session
from aiohttp_session import setup as setup_sessions
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from bot.kb.db import Database
from bot.staff.models import StaffAccount

COOKIE_NAME = "lgnet_staff"
SESSION_HOURS = 10
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
ACCOUNT_KEY = "account_id"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("an unusable password, to spend the same time")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def setup_auth(app: web.Application, secret: bytes, *, secure: bool) -> None:
    key = hashlib.sha256(b"lgnet staff sessions\0" + secret).digest()
    storage = EncryptedCookieStorage(
        key,  # 32 raw bytes: the storage encodes them for Fernet
        cookie_name=COOKIE_NAME,
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        secure=secure,
        samesite="Strict",
    )
    setup_sessions(app, storage)


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
        raise web.HTTPForbidden(text="CSRF token missing or wrong")


async def sign_in(request: web.Request, account: StaffAccount) -> None:
    session = await get_session(request)
    session.invalidate()
    session = await get_session(request)
    session[ACCOUNT_KEY] = account.id
    session[CSRF_FIELD] = secrets.token_urlsafe(32)


async def sign_out(request: web.Request) -> None:
    (await get_session(request)).invalidate()


async def signed_in_account(request: web.Request, database: Database) -> StaffAccount | None:
    session = await get_session(request)
    account_id = session.get(ACCOUNT_KEY)
    if account_id is None:
        return None
    async with database.session() as db:
        account = await db.get(StaffAccount, int(account_id))
    return account if account is not None and account.active else None


async def account_by_username(database: Database, username: str) -> StaffAccount | None:
    async with database.session() as db:
        return await db.scalar(select(StaffAccount).where(StaffAccount.username == username))


class SignInLimiter:
    """Failed sign-ins within a window: at most `per_username` for one username (whatever
    the address), and `per_address` from one client address (whatever the username, so
    that colleagues behind one office router are not locked out by one typo-prone user)."""

    def __init__(
        self, per_username: int = 5, per_address: int = 20, window_seconds: float = 300.0
    ) -> None:
        self.limits = {"user": per_username, "ip": per_address}
        self.window = window_seconds
        self._failures: dict[str, deque[float]] = {}

    def blocked(self, *keys: str) -> bool:
        now = time.monotonic()
        for key in keys:
            failures = self._failures.get(key)
            while failures and now - failures[0] > self.window:
                failures.popleft()
            if failures and len(failures) >= self._limit(key):
                return True
        return False

    def _limit(self, key: str) -> int:
        return self.limits.get(key.split(":", 1)[0], self.limits["user"])

    def failed(self, *keys: str) -> None:
        for key in keys:
            self._failures.setdefault(key, deque()).append(time.monotonic())

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            if key.startswith("user:"):
                self._failures.pop(key, None)
