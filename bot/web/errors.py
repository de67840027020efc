"""One place where refusals and bad requests of the staff pages become answers: a page in
the staff member's language (or JSON for the pages' own scripts), never a traceback.

Handlers raise what they mean (`PermissionDenied`, `CaseRefused`, `LookupError`, a
validation error, or aiohttp's 400/403/404) and this middleware answers it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from pydantic import ValidationError

from bot.handoff import texts
from bot.handoff.desk import CaseRefused
from bot.i18n import N_, Localizer
from bot.web import auth
from bot.web.pages import render, staff_localizer
from bot.workspace.permissions import PermissionDenied

logger = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
STAFF_AREAS = ("/admin", "/console")
MESSAGES = {
    400: N_("This request is not valid."),
    403: N_("You may not do this."),
    404: N_("This page does not exist."),
    409: N_("This changed in the meantime: reload the page and try again."),
    413: N_("This file is too large."),
}
TITLES = {
    400: N_("Bad request"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    409: N_("Conflict"),
    413: N_("Too large"),
}


class StaffError(Exception):
    """A refusal with its own explanation (a msgid, translated when answered)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def refuse(message: str) -> StaffError:
    return StaffError(403, message)


@web.middleware
async def staff_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not request.path.startswith(STAFF_AREAS):
        return await handler(request)
    try:
        return await handler(request)
    except StaffError as error:
        return await _answer(request, error.status, error.message)
    except CaseRefused as refused:
        loc = await _localizer(request)
        return await _answer(request, 403, texts.refused(loc, refused.holder))
    except PermissionDenied:
        return await _answer(request, 403, None)
    except (LookupError, OverflowError):
        return await _answer(request, 404, None)
    except ValidationError:
        return await _answer(request, 400, None)
    except web.HTTPException as error:
        if error.status in MESSAGES:
            return await _answer(request, error.status, None)
        raise


async def _localizer(request: web.Request) -> Localizer:
    return staff_localizer(request, await auth.signed_in_account(request))


async def _answer(request: web.Request, status: int, message: str | None) -> web.StreamResponse:
    loc = await _localizer(request)
    text = loc.gettext(message or MESSAGES.get(status, MESSAGES[400]))
    if request.headers.get(auth.CSRF_HEADER) or request.headers.get("Accept") == "application/json":
        return web.json_response({"error": text}, status=status)
    console = request.path.startswith("/console")
    context = {
        "area_base": "console/base.html" if console else "admin/base.html",
        "home": "/console" if console else "/admin",
        "title": loc.gettext(TITLES.get(status, TITLES[400])),
        "message": text,
    }
    account = await auth.signed_in_account(request)
    return await render(request, "error.html", account, context, status=status)
