"""What every staff page shares: the staff member's language, rendering with safe
headers, and signing in with a limit on failed attempts."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.i18n import Localizer
from bot.staff.models import StaffAccount
from bot.web import auth
from bot.web.keys import catalogs_key, database_key, settings_key

limiter_key = web.AppKey("sign_in_limiter", auth.SignInLimiter)


def setup_sign_in(app: web.Application) -> None:
    app[limiter_key] = auth.SignInLimiter()


def staff_localizer(request: web.Request, account: StaffAccount | None) -> Localizer:
    language = account.ui_language if account else request.app[settings_key].staff_language
    return request.app[catalogs_key].localizer(language)


async def render(
    request: web.Request,
    template: str,
    account: StaffAccount | None,
    context: dict[str, Any],
    status: int = 200,
) -> web.Response:
    loc = staff_localizer(request, account)
    context = {
        "_": loc.gettext,
        "ngettext": loc.ngettext,
        "language": loc.language,
        "direction": "rtl" if loc.rtl else "ltr",
        "account": account,
        "csrf": await auth.csrf_token(request),
        **context,
    }
    response = aiohttp_jinja2.render_template(template, request, context, status=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self'; script-src 'self'; "
        "connect-src 'self' ws: wss:; frame-ancestors 'none'"
    )
    return response


async def attempt_sign_in(request: web.Request, template: str) -> StaffAccount | web.Response:
    """Check the form's username and password: the account, or the page with the error."""
    await auth.check_csrf(request)
    form = await request.post()
    username = str(form.get("username", "")).strip()
    password = str(form.get("password", ""))
    limiter = request.app[limiter_key]
    keys = (f"ip:{request.remote}", f"user:{username.lower()}")
    loc = staff_localizer(request, None)
    if limiter.blocked(*keys):
        error = loc.gettext("Too many failed attempts. Wait a few minutes and try again.")
        return await render(request, template, None, {"error": error}, status=429)
    account = await auth.account_by_username(request.app[database_key], username)
    if (
        account is None
        or not account.active
        or not auth.password_matches(account.password_hash, password)
    ):
        limiter.failed(*keys)
        error = loc.gettext("Wrong username or password.")
        return await render(request, template, None, {"error": error}, status=401)
    limiter.succeeded(*keys)
    await auth.sign_in(request, account)
    return account
