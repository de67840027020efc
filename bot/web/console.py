"""The mediators' web console (/console): sign in, the queue filtered by the mediator's
languages and cities, and a case page with the live conversation (WebSocket), canned
replies, notes, take / release / transfer and close with an outcome.

Pages are server-rendered (Jinja2) in the staff member's language; a little JavaScript
sends messages and receives live updates. Every request checks the session, every change
checks the CSRF token, and the server (not the page) decides who may do what.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any, Literal

from aiohttp import WSMsgType, web
from pydantic import BaseModel, Field

from bot.channels.telegram_delivery import MEDIA_TYPES, download_file
from bot.core.buttons import OUTCOMES
from bot.core.cards import topic_label
from bot.core.messages import clean_text
from bot.handoff import texts
from bot.handoff.cases import NewMessage
from bot.handoff.desk import may_handle
from bot.handoff.models import CaseMessage, CaseStatus, HandoffCase, Sender
from bot.handoff.relay import PermanentDeliveryError, TransientDeliveryError
from bot.i18n import SUPPORTED_LANGUAGES, Localizer
from bot.staff.models import Role, StaffAccount
from bot.web import auth
from bot.web.errors import StaffError
from bot.web.keys import desk_key, events_key, settings_key, telegram_key
from bot.web.pages import attempt_sign_in, render, staff_localizer
from bot.web.security import require_same_origin

MAX_MESSAGE_CHARS = 4000
CASE_ID = "{case_id:[1-9][0-9]{0,8}}"
MESSAGE_ID = "{message_id:[1-9][0-9]{0,9}}"
CONSOLE_ROLES = frozenset({Role.MEDIATOR, Role.ADMINISTRATOR})


def add_console_routes(app: web.Application) -> None:
    app.router.add_get("/console/login", sign_in_page, name="console-login")
    app.router.add_post("/console/login", sign_in)
    app.router.add_post("/console/logout", sign_out)
    app.router.add_get("/console", queue_page, name="console-queue")
    app.router.add_get("/console/live", queue_live)
    app.router.add_get(f"/console/cases/{CASE_ID}", case_page, name="console-case")
    app.router.add_get(f"/console/cases/{CASE_ID}/live", case_live)
    app.router.add_get(f"/console/cases/{CASE_ID}/media/{MESSAGE_ID}", case_media)
    for action, handler in (
        ("take", take),
        ("release", release),
        ("transfer", transfer),
        ("close", close),
        ("notes", add_note),
        ("messages", send_message),
    ):
        app.router.add_post(f"/console/cases/{CASE_ID}/{action}", handler)


# --- signing in -------------------------------------------------------------------------


async def sign_in_page(request: web.Request) -> web.Response:
    return await render(request, "console/login.html", None, {"error": None})


async def sign_in(request: web.Request) -> web.Response:
    account = await attempt_sign_in(request, "console/login.html")
    if isinstance(account, web.Response):
        return account
    raise web.HTTPSeeOther(request.app.router["console-queue"].url_for())


async def sign_out(request: web.Request) -> web.Response:
    await auth.check_csrf(request)
    await auth.sign_out(request, await auth.signed_in_account(request))
    raise web.HTTPSeeOther(request.app.router["console-login"].url_for())


async def mediator(request: web.Request) -> StaffAccount:
    account = await auth.signed_in_account(request)
    if account is None:
        raise web.HTTPSeeOther(request.app.router["console-login"].url_for())
    if account.role not in CONSOLE_ROLES:
        raise web.HTTPForbidden()
    return account


async def live_mediator(request: web.Request) -> StaffAccount:
    """As `mediator`, for a WebSocket upgrade: it must come from this app's own pages, and
    without a session it is refused (a socket does not follow a redirect to sign in)."""
    require_same_origin(request, request.app[settings_key].public_url)
    if await auth.signed_in_account(request) is None:
        raise web.HTTPForbidden()
    return await mediator(request)


async def still_signed_in(request: web.Request) -> bool:
    """A live socket ends when its session does (sign-out, new password, disabled)."""
    return await auth.signed_in_account(request) is not None


def may_see(account: StaffAccount, case: HandoffCase) -> bool:
    """Mediators see cases in their languages and cities, or assigned to them."""
    if account.role == Role.ADMINISTRATOR or account.is_supervisor:
        return True
    if case.mediator_id == account.id:
        return True
    city_slug = case.city.slug if case.city else None
    return bool(set(case.languages) & set(account.languages)) and account.covers(city_slug)


# --- pages ------------------------------------------------------------------------------


async def queue_page(request: web.Request) -> web.Response:
    account = await mediator(request)
    desk = request.app[desk_key]
    show_all = request.query.get("all") == "1" and (
        account.role == Role.ADMINISTRATOR or account.is_supervisor
    )
    cases = await desk.cases.queue()
    visible = [case for case in cases if show_all or may_see(account, case)]
    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "case": case,
            "waiting_minutes": _minutes_since(case.queued_at or case.created_at, now),
            "mine": case.mediator_id == account.id,
        }
        for case in visible
    ]
    return await render(
        request,
        "console/queue.html",
        account,
        {"rows": rows, "show_all": show_all, "topic_label": _topic_label(request, account)},
    )


async def case_page(request: web.Request) -> web.Response:
    account = await mediator(request)
    case = await _visible_case(request, account)
    desk = request.app[desk_key]
    loc = staff_localizer(request, account)
    messages = await desk.cases.messages(case.id)
    canned = await desk.cases.canned_replies(case.languages)
    cities = await desk.cities()
    context = {
        "case": case,
        "messages": [_message_view(loc, m) for m in messages],
        "notes": await desk.cases.notes(case.id),
        "canned": canned,
        "outcomes": [(o, texts.outcome_label(loc, o)) for o in texts.OUTCOMES],
        "languages": [(code, loc.language_in_my_language(code)) for code in SUPPORTED_LANGUAGES],
        "cities": cities,
        "is_mine": case.mediator_id == account.id,
        "may_handle": may_handle(account, case),
        "topic_label": _topic_label(request, account),
        "language_name": loc.language_in_my_language(case.language),
        "last_id": messages[-1].id if messages else 0,
        "history": [
            (event.at, texts.history_line(loc, event), event.refused)
            for event in await desk.cases.history(case.id)
        ],
    }
    return await render(request, "console/case.html", account, context)


async def case_live(request: web.Request) -> web.WebSocketResponse:
    """Pushes new messages and status changes of one case as JSON."""
    account = await live_mediator(request)
    case = await _visible_case(request, account)
    app = request.app
    socket = web.WebSocketResponse(heartbeat=30)
    await socket.prepare(request)
    events = app[events_key].subscribe(case.id)
    loc = staff_localizer(request, account)
    after = request.query.get("after", "0")
    last_id = int(after) if after.isdigit() and len(after) < 10 else 0
    reader = asyncio.create_task(_drain(socket))
    try:
        while not socket.closed and not reader.done() and await still_signed_in(request):
            messages = await app[desk_key].cases.messages(case.id, last_id)
            current = await app[desk_key].cases.get(case.id)
            if messages or current is None or current.status != case.status:
                await socket.send_json(
                    {
                        "messages": [_message_view(loc, m) for m in messages],
                        "status": current.status if current else CaseStatus.CLOSED,
                    }
                )
                if messages:
                    last_id = messages[-1].id
                if current is not None:
                    case = current
            waiter = asyncio.create_task(events.get())
            await asyncio.wait({waiter, reader}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
    finally:
        app[events_key].unsubscribe(events, case.id)
        reader.cancel()
        await socket.close()
    return socket


async def queue_live(request: web.Request) -> web.WebSocketResponse:
    """Tells the queue page that a case it may show has changed."""
    account = await live_mediator(request)
    app = request.app
    socket = web.WebSocketResponse(heartbeat=30)
    await socket.prepare(request)
    events = app[events_key].subscribe()
    reader = asyncio.create_task(_drain(socket))
    try:
        while not socket.closed and not reader.done() and await still_signed_in(request):
            waiter = asyncio.create_task(events.get())
            done, _ = await asyncio.wait(
                {waiter, reader}, timeout=15, return_when=asyncio.FIRST_COMPLETED
            )
            if reader in done:
                waiter.cancel()
                break
            if waiter not in done:
                waiter.cancel()
                continue
            case = await app[desk_key].cases.get(waiter.result())
            if case is not None and may_see(account, case):
                await socket.send_json({"case": case.id, "status": case.status})
    finally:
        app[events_key].unsubscribe(events)
        reader.cancel()
        await socket.close()
    return socket


async def _drain(socket: web.WebSocketResponse) -> None:
    async for message in socket:
        if message.type in (WSMsgType.CLOSE, WSMsgType.ERROR):
            break


# --- actions ----------------------------------------------------------------------------


class TransferForm(BaseModel):
    language: Literal[SUPPORTED_LANGUAGES]  # type: ignore[valid-type]
    city: str = Field(default="", pattern=r"^[a-z0-9-]{0,64}$")


class CloseForm(BaseModel):
    outcome: Literal[OUTCOMES]  # type: ignore[valid-type]


class TextForm(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


async def _acting(request: web.Request) -> tuple[StaffAccount, HandoffCase, dict[str, str]]:
    """The signed-in mediator, the case they may see, and the posted form (CSRF checked)."""
    account = await mediator(request)
    await auth.check_csrf(request)
    case = await _visible_case(request, account)
    form = {key: str(value).strip() for key, value in (await request.post()).items()}
    return account, case, form


def _back_to(request: web.Request, case: HandoffCase) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(request.app.router["console-case"].url_for(case_id=str(case.id)))


async def take(request: web.Request) -> web.StreamResponse:
    account, case, _ = await _acting(request)
    await request.app[desk_key].take(case.id, account)
    raise _back_to(request, case)


async def release(request: web.Request) -> web.StreamResponse:
    account, case, _ = await _acting(request)
    await request.app[desk_key].release(case.id, account)
    raise _back_to(request, case)


async def transfer(request: web.Request) -> web.StreamResponse:
    account, case, form = await _acting(request)
    values = TransferForm.model_validate(form)
    await request.app[desk_key].transfer(case.id, account, values.language, values.city or None)
    raise _back_to(request, case)


async def close(request: web.Request) -> web.StreamResponse:
    account, case, form = await _acting(request)
    values = CloseForm.model_validate(form)
    await request.app[desk_key].close(case.id, account, values.outcome)
    raise _back_to(request, case)


async def add_note(request: web.Request) -> web.StreamResponse:
    account, case, form = await _acting(request)
    values = TextForm.model_validate(form)
    await request.app[desk_key].add_note(case.id, account, values.text)
    raise _back_to(request, case)


async def send_message(request: web.Request) -> web.StreamResponse:
    account, case, form = await _acting(request)
    if case.status != CaseStatus.ACTIVE or case.mediator_id != account.id:
        raise StaffError(409, texts.refused(staff_localizer(request, account), ""))
    values = TextForm.model_validate(form)
    await request.app[desk_key].send_from_mediator(
        case.id,
        account,
        NewMessage(
            sender=Sender.MEDIATOR,
            origin=f"console:{uuid.uuid4()}",
            kind="text",
            text=clean_text(values.text),
            author_id=account.id,
        ),
    )
    if request.headers.get(auth.CSRF_HEADER):
        return web.json_response({"ok": True})
    raise _back_to(request, case)


async def case_media(request: web.Request) -> web.Response:
    """A voice note, photo or file of the person, fetched from Telegram for a mediator who
    may see the case: through this authenticated route, never a Telegram link (which
    carries the bot token). Not cached by the browser; the file is not stored here."""
    account = await mediator(request)
    case = await _visible_case(request, account)
    message = await request.app[desk_key].cases.message(
        case.id, int(request.match_info["message_id"])
    )
    if message is None or not message.file_id or telegram_key not in request.app:
        raise web.HTTPNotFound()
    bot = request.app[telegram_key].application.bot
    try:
        data = await download_file(bot, message.file_id)
    except (PermanentDeliveryError, TransientDeliveryError):
        raise web.HTTPBadGateway() from None
    content_type = MEDIA_TYPES.get(message.kind, "application/octet-stream")
    disposition = "inline" if message.kind in MEDIA_TYPES else "attachment"
    return web.Response(
        body=data,
        content_type=content_type,
        headers={
            "Cache-Control": "private, no-store",
            "Content-Disposition": f'{disposition}; filename="case-{case.id}-{message.id}"',
        },
    )


async def _visible_case(request: web.Request, account: StaffAccount) -> HandoffCase:
    case = await request.app[desk_key].cases.get(int(request.match_info["case_id"]))
    if case is None:
        raise web.HTTPNotFound()
    if not may_see(account, case):
        raise web.HTTPForbidden()
    return case


def _message_view(loc: Localizer, message: CaseMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "from_person": message.sender == Sender.PERSON,
        "author": message.author.display_name if message.author else "",
        "text": texts.message_placeholder(loc, message) if message.kind != "text" else message.text,
        "kind": message.kind,
        "media_url": (
            f"/console/cases/{message.case_id}/media/{message.id}" if message.file_id else ""
        ),
        "at": message.created_at.strftime("%H:%M") if message.created_at else "",
        "delivered": message.delivered_at is not None,
    }


def _minutes_since(moment: dt.datetime, now: dt.datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return max(0, int((now - moment).total_seconds() // 60))


def _topic_label(request: web.Request, account: StaffAccount) -> Any:
    loc = staff_localizer(request, account)

    def label(topic: str | None) -> str:
        return topic_label(loc, topic) if topic else "—"

    return label
