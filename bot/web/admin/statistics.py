"""Statistics in the workspace: the dashboard (/admin/statistics), the indicator report as
XLSX or CSV, and the unanswered questions grouped (/admin/questions) with their actions.

Administrators see every city; city editors only theirs (`bot.analytics.access`), in the
pages and in the files alike."""

from __future__ import annotations

import datetime as dt

from aiohttp import web
from multidict import MultiMapping

from bot.analytics import questions
from bot.analytics.access import cities_for, may_see_statistics
from bot.analytics.charts import sparkline
from bot.analytics.dashboard import charts_for
from bot.analytics.export import to_csv_zip, to_xlsx
from bot.analytics.indicators import Filters
from bot.analytics.models import QuestionGroup
from bot.analytics.periods import ITALY, Period, last_twelve_months
from bot.analytics.report import CHANNEL_LABELS, Labels, build_report, city_names
from bot.i18n import SUPPORTED_LANGUAGES, Localizer
from bot.staff.models import StaffAccount
from bot.web.admin.common import changing_staff, db_session, page, require, staff, visible_cities
from bot.web.admin.exchange import _download
from bot.web.keys import catalogs_key, settings_key
from bot.web.pages import staff_localizer
from bot.workspace import permissions

CHANNELS = tuple(code for code in CHANNEL_LABELS if code)


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/admin/statistics", dashboard, name="admin-statistics")
    router.add_get("/admin/statistics/report.{format:xlsx|zip}", report_file)
    router.add_get("/admin/questions", question_groups, name="admin-questions")
    router.add_post("/admin/questions/{id:[1-9][0-9]{0,8}}/training-data", training_data)
    router.add_post("/admin/questions/{id:[1-9][0-9]{0,8}}/needs-content", needs_content)
    router.add_post("/admin/questions/{id:[1-9][0-9]{0,8}}/dismiss", dismiss)


def today() -> dt.date:
    return dt.datetime.now(ITALY).date()


def read_filters(query: MultiMapping[str], account: StaffAccount) -> Filters:
    """The query's filters, checked: a 400 for what cannot be read, a 403 for a city the
    account may not see."""
    first, last = query.get("from", ""), query.get("to", "")
    try:
        period = Period.parse(first, last) if first and last else last_twelve_months(today())
    except ValueError:
        raise web.HTTPBadRequest() from None
    language, channel = query.get("lang", ""), query.get("channel", "")
    if language and language not in SUPPORTED_LANGUAGES:
        raise web.HTTPBadRequest()
    if channel and channel not in CHANNELS:
        raise web.HTTPBadRequest()
    return Filters(period, cities_for(account, query.get("city", "")), language, channel)


async def statistics_staff(request: web.Request) -> StaffAccount:
    account = await staff(request)
    require(may_see_statistics(account))
    return account


async def dashboard(request: web.Request) -> web.Response:
    account = await statistics_staff(request)
    filters = read_filters(request.query, account)
    loc = staff_localizer(request, account)
    async with db_session(request) as session:
        labels = Labels(loc, await city_names(session))
        charts = await charts_for(session, filters, labels)
        cities = await visible_cities(session, account)
    context = {
        "charts": charts,
        "filters": filters,
        "chosen_city": request.query.get("city", ""),
        "cities": [(c.slug, c.name) for c in cities],
        "channels": [(code, labels.channel(code)) for code in CHANNELS],
        "query": request.query_string,
    }
    return await page(request, "admin/statistics.html", account, context)


def report_localizer(request: web.Request) -> Localizer:
    """Reports are written in the staff language (Italian), whatever the page's language."""
    return request.app[catalogs_key].localizer(request.app[settings_key].staff_language)


async def report_file(request: web.Request) -> web.Response:
    account = await statistics_staff(request)
    filters = read_filters(request.query, account)
    async with db_session(request) as session:
        labels = Labels(report_localizer(request), await city_names(session))
        report = await build_report(session, filters, labels)
    period = f"{filters.period.start:%Y-%m}_{filters.period.last_month:%Y-%m}"
    if request.match_info["format"] == "xlsx":
        return _download(
            to_xlsx(report),
            f"indicatori-{period}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    return _download(to_csv_zip(report), f"indicatori-{period}-csv.zip", "application/zip")


# --- unanswered questions ---------------------------------------------------------------


async def question_groups(request: web.Request) -> web.Response:
    account = await staff(request)
    language = request.query.get("lang", "")
    if language and language not in SUPPORTED_LANGUAGES:
        raise web.HTTPBadRequest()
    async with db_session(request) as session:
        await questions.regroup(session)
        views = await questions.group_views(session, language)
        cities = await visible_cities(session, account)
    loc = staff_localizer(request, account)
    context = {
        "views": views,
        "language_filter": language,
        "language_names": {code: loc.language_in_my_language(code) for code in SUPPORTED_LANGUAGES},
        "intents": questions.training_intents(),
        "editable_cities": [
            (c.slug, c.name) for c in cities if permissions.may_edit_city(account, c.slug)
        ],
        "may_dismiss": permissions.may_edit_services(account),
        "sparklines": {v.group.id: sparkline([n for _, n in v.trend]) for v in views},
    }
    return await page(request, "admin/questions.html", account, context)


async def _group(request: web.Request) -> tuple[StaffAccount, int]:
    account = await changing_staff(request)
    return account, int(request.match_info["id"])


async def training_data(request: web.Request) -> web.Response:
    _, group_id = await _group(request)
    intent = str((await request.post()).get("intent", ""))
    if intent not in questions.training_intents():
        raise web.HTTPBadRequest()
    async with db_session(request) as session:
        group = await session.get(QuestionGroup, group_id)
        if group is None:
            raise web.HTTPNotFound()
        texts = await questions.kept_texts(session, group_id)
    body = questions.as_training_data(intent, group.language, texts)
    return _download(body.encode(), f"{intent}-{group.language}-{group_id}.yml", "text/yaml")


async def needs_content(request: web.Request) -> web.Response:
    account, group_id = await _group(request)
    city = str((await request.post()).get("city", ""))
    require(bool(city) and permissions.may_edit_city(account, city))
    await _set_status(request, group_id, questions.GroupStatus.NEEDS_CONTENT, city)
    raise web.HTTPSeeOther("/admin/questions?notice=saved")


async def dismiss(request: web.Request) -> web.Response:
    account, group_id = await _group(request)
    require(permissions.may_edit_services(account))
    await _set_status(request, group_id, questions.GroupStatus.DISMISSED, None)
    raise web.HTTPSeeOther("/admin/questions?notice=saved")


async def _set_status(request: web.Request, group_id: int, status: str, city: str | None) -> None:
    async with db_session(request) as session:
        group = await session.get(QuestionGroup, group_id)
        if group is None:
            raise web.HTTPNotFound()
        group.status = status
        group.city_slug = city
        await session.commit()
