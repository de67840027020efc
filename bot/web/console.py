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
from typing import Any

from aiohttp import WSMsgType, web

from bot.core.render import topic_label
from bot.handoff import texts
from bot.handoff.cases import NewMessage
from bot.handoff.models import CaseMessage, CaseStatus, HandoffCase, Sender
from bot.i18n import SUPPORTED_LANGUAGES, Localizer
from bot.staff.models import Role, StaffAccount
from bot.web import auth
from bot.web.keys import database_key, desk_key, events_key
from bot.web.pages import attempt_sign_in, render, staff_localizer

MAX_MESSAGE_CHARS = 4000
CONSOLE_ROLES = frozenset({Role.MEDIATOR, Role.ADMINISTRATOR})


def add_console_routes(app: web.Application) -> None:
    app.router.add_get("/console/login", sign_in_page, name="console-login")
    app.router.add_post("/console/login", sign_in)
    app.router.add_post("/console/logout", sign_out)
    app.router.add_get("/console", queue_page, name="console-queue")
    app.router.add_get("/console/live", queue_live)
    app.router.add_get("/console/cases/{case_id:\\d+}", case_page, name="console-case")
    app.router.add_get("/console/cases/{case_id:\\d+}/live", case_live)
    app.router.add_post("/console/cases/{case_id:\\d+}/{action}", case_action)


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
    await auth.sign_out(request)
    raise web.HTTPSeeOther(request.app.router["console-login"].url_for())


async def mediator(request: web.Request) -> StaffAccount:
    account = await auth.signed_in_account(request, request.app[database_key])
    if account is None:
        raise web.HTTPSeeOther(request.app.router["console-login"].url_for())
    if account.role not in CONSOLE_ROLES:
        raise web.HTTPForbidden(text="this account cannot use the mediators' console")
    return account


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
        "topic_label": _topic_label(request, account),
        "language_name": loc.language_in_my_language(case.language),
        "last_id": messages[-1].id if messages else 0,
    }
    return await render(request, "console/case.html", account, context)


async def case_live(request: web.Request) -> web.WebSocketResponse:
    """Pushes new messages and status changes of one case as JSON."""
    account = await mediator(request)
    case = await _visible_case(request, account)
    app = request.app
    socket = web.WebSocketResponse(heartbeat=30)
    await socket.prepare(request)
    events = app[events_key].subscribe(case.id)
    loc = staff_localizer(request, account)
    last_id = int(request.query.get("after", "0") or 0)
    try:
        reader = asyncio.create_task(_drain(socket))
        while not socket.closed and not reader.done():
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
    account = await mediator(request)
    app = request.app
    socket = web.WebSocketResponse(heartbeat=30)
    await socket.prepare(request)
    events = app[events_key].subscribe()
    reader = asyncio.create_task(_drain(socket))
    try:
        while not socket.closed and not reader.done():
            waiter = asyncio.create_task(events.get())
            done, _ = await asyncio.wait({waiter, reader}, return_when=asyncio.FIRST_COMPLETED)
            if waiter not in done:
                waiter.cancel()
                break
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


async def case_action(request: web.Request) -> web.StreamResponse:
    account = await mediator(request)
    await auth.check_csrf(request)
    case = await _visible_case(request, account)
    desk = request.app[desk_key]
    form = await request.post()
    action = request.match_info["action"]
    if action == "take":
        await desk.take(case.id, account)
    elif action == "release":
        _must_hold(case, account)
        await desk.release(case.id)
    elif action == "transfer":
        language = str(form.get("language", case.language))
        if language not in SUPPORTED_LANGUAGES:
            raise web.HTTPBadRequest(text="unknown language")
        await desk.transfer(case.id, language, str(form.get("city", "")) or None)
    elif action == "close":
        _must_hold(case, account)
        outcome = str(form.get("outcome", ""))
        if outcome not in texts.OUTCOMES:
            raise web.HTTPBadRequest(text="unknown outcome")
        await desk.close(case.id, outcome)
    elif action == "notes":
        text = str(form.get("text", "")).strip()
        if text:
            await desk.add_note(case.id, account, text[:MAX_MESSAGE_CHARS])
    elif action == "messages":
        _must_hold(case, account)
        text = str(form.get("text", "")).strip()
        if not text:
            raise web.HTTPBadRequest(text="empty message")
        await desk.send_from_mediator(
            case.id,
            account,
            NewMessage(
                sender=Sender.MEDIATOR,
                origin=f"console:{uuid.uuid4()}",
                kind="text",
                text=text[:MAX_MESSAGE_CHARS],
                author_id=account.id,
            ),
        )
        if request.headers.get(auth.CSRF_HEADER):
            return web.json_response({"ok": True})
    else:
        raise web.HTTPNotFound()
    raise web.HTTPSeeOther(request.app.router["console-case"].url_for(case_id=str(case.id)))


def _must_hold(case: HandoffCase, account: StaffAccount) -> None:
    if case.status != CaseStatus.ACTIVE or case.mediator_id != account.id:
        raise web.HTTPConflict(text="take the case first")


async def _visible_case(request: web.Request, account: StaffAccount) -> HandoffCase:
    case = await request.app[desk_key].cases.get(int(request.match_info["case_id"]))
    if case is None:
        raise web.HTTPNotFound()
    if not may_see(account, case):
        raise web.HTTPForbidden(text="this case is not in your languages or cities")
    return case


def _message_view(loc: Localizer, message: CaseMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "from_person": message.sender == Sender.PERSON,
        "author": message.author.display_name if message.author else "",
        "text": texts.message_placeholder(loc, message) if message.kind != "text" else message.text,
        "kind": message.kind,
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
