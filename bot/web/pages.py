"""What every staff page shares: the staff member's language, rendering, and signing in with
limits on failed attempts."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.i18n import Localizer
from bot.limits import retry_after
from bot.staff.models import StaffAccount
from bot.staff.passwords import password_matches
from bot.staff.sign_in_limits import SignInLimiter
from bot.web import auth
from bot.web.keys import catalogs_key, database_key, pseudonymizer_key, settings_key

limiter_key = web.AppKey("sign_in_limiter", SignInLimiter)


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
    return response


def client_tag(request: web.Request) -> str:
    """The client's address (after trusted proxies) as a keyed hash: counted, not kept."""
    return request.app[pseudonymizer_key].tag("address", request.remote or "")


async def attempt_sign_in(request: web.Request, template: str) -> StaffAccount | web.Response:
    """Check the form's username and password: the account, or the page with the error."""
    await auth.check_csrf(request)
    form = await request.post()
    username = str(form.get("username", "")).strip()[:64]
    password = str(form.get("password", ""))[:1024]
    limiter = request.app[limiter_key]
    address = client_tag(request)
    loc = staff_localizer(request, None)
    wait = await limiter.wait_seconds(username, address)
    if wait:
        return await _refused(request, template, loc, wait)
    account = await auth.account_by_username(request.app[database_key], username)
    # the password is checked even without an account: unknown names take as long
    matches = password_matches(account.password_hash if account else None, password)
    if account is None or not account.active or not matches:
        await limiter.failed(username, address)
        error = loc.gettext("Wrong username or password.")
        return await render(request, template, None, {"error": error}, status=401)
    await limiter.succeeded(username, address)
    await auth.sign_in(request, account)
    return account


async def _refused(
    request: web.Request, template: str, loc: Localizer, wait: float
) -> web.Response:
    seconds = retry_after(wait)
    error = loc.ngettext(
        "Too many failed attempts. Try again in {seconds} second.",
        "Too many failed attempts. Try again in {seconds} seconds.",
        seconds,
    ).format(seconds=seconds)
    response = await render(request, template, None, {"error": error}, status=429)
    response.headers["Retry-After"] = str(seconds)
    return response
