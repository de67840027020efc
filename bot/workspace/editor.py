"""Changes to the knowledge base by staff: permission-checked, audited, undoable.

Every change stores a snapshot of the service before and after it (the flat fields of
`ServiceForm.values()` plus every language's text). Undo reads the "before" back through the
same form and writes it, if nobody changed the service since.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.i18n import N_
from bot.kb.models import SOURCE_LANGUAGE, City, Service, ServiceText
from bot.staff.models import StaffAccount
from bot.workspace import permissions
from bot.workspace.forms import FieldErrors, ServiceForm, TextForm
from bot.workspace.models import AuditEntry


class TranslationStatus(enum.StrEnum):
    SOURCE = "source"
    MISSING = "missing"
    OUTDATED = "outdated"
    UP_TO_DATE = "up_to_date"


class UndoConflict(Exception):
    """The service changed after the change being undone."""


def text_in(service: Service, language: str) -> ServiceText | None:
    return next((t for t in service.texts if t.language == language), None)


def source_digest(service: Service) -> str:
    source = text_in(service, SOURCE_LANGUAGE)
    return source.content_digest() if source else ""


def translation_status(service: Service, language: str) -> TranslationStatus:
    if language == SOURCE_LANGUAGE:
        return TranslationStatus.SOURCE
    text = text_in(service, language)
    if text is None or not (text.label or text.description):
        return TranslationStatus.MISSING
    if text.source_digest != source_digest(service):
        return TranslationStatus.OUTDATED
    return TranslationStatus.UP_TO_DATE


async def translation_overview(
    session: AsyncSession, service_ids: Collection[int], languages: Sequence[str]
) -> dict[tuple[int, str], TranslationStatus]:
    """The status of every (service, language) from the stored digests, without loading
    the texts: each text keeps the digest of the Italian it follows, and the Italian text
    keeps its own."""
    filled = or_(func.length(ServiceText.label) > 0, func.length(ServiceText.description) > 0)
    rows = await session.execute(
        select(ServiceText.service_id, ServiceText.language, ServiceText.source_digest, filled)
    )
    wanted = set(service_ids)
    digests: dict[tuple[int, str], str] = {}
    for service_id, language, digest, has_content in rows:
        if service_id in wanted and (has_content or language == SOURCE_LANGUAGE):
            digests[(service_id, language)] = digest
    overview = {}
    for service_id in wanted:
        source = digests.get((service_id, SOURCE_LANGUAGE), "")
        for language in languages:
            if language == SOURCE_LANGUAGE:
                continue
            translation = digests.get((service_id, language))
            if translation is None:
                overview[(service_id, language)] = TranslationStatus.MISSING
            elif translation == source:
                overview[(service_id, language)] = TranslationStatus.UP_TO_DATE
            else:
                overview[(service_id, language)] = TranslationStatus.OUTDATED
    return overview


def snapshot(service: Service) -> dict[str, Any]:
    texts = {
        text.language: {**TextForm.of(text).values(), "source_digest": text.source_digest}
        for text in sorted(service.texts, key=lambda t: t.language)
    }
    return {**ServiceForm.of(service).values(), "is_sample": service.is_sample, "texts": texts}


def service_query() -> Any:
    return select(Service).options(
        selectinload(Service.city).selectinload(City.names),
        selectinload(Service.texts),
        selectinload(Service.hours),
        selectinload(Service.closures),
    )


async def load_service(session: AsyncSession, service_id: int) -> Service | None:
    service: Service | None = await session.scalar(service_query().where(Service.id == service_id))
    return service


class Editor:
    """One staff member's changes, in one database session (committed by the caller)."""

    def __init__(self, session: AsyncSession, account: StaffAccount) -> None:
        self.session = session
        self.account = account

    async def cities(self) -> dict[str, City]:
        cities = await self.session.scalars(select(City).options(selectinload(City.names)))
        return {city.slug: city for city in cities}

    async def service(self, service_id: int) -> Service:
        service = await load_service(self.session, service_id)
        if service is None:
            raise LookupError(service_id)
        return service

    async def save_service(
        self, service_id: int | None, values: Mapping[str, str], *, action: str = ""
    ) -> tuple[Service | None, FieldErrors]:
        """Create or update a service and its Italian text from the page's or a CSV row's
        values."""
        cities = await self.cities()
        form, errors = ServiceForm.read(values, set(cities))
        if form is None:
            return None, errors
        permissions.require(permissions.may_edit_city(self.account, form.city))
        service = await self.service(service_id) if service_id else None
        before = None
        if service is None:
            service = Service(texts=[], hours=[], closures=[])
            self.session.add(service)
        else:
            permissions.require(permissions.may_edit_city(self.account, service.city.slug))
            before = snapshot(service)
        form.apply(service, cities[form.city])
        service.is_sample = False
        self._write_source(service, form.text)
        await self.session.flush()
        await self._audit(action or ("update" if before else "create"), service, before)
        return service, errors

    def _write_source(self, service: Service, italian: TextForm) -> None:
        """The Italian text; translations keep the digest of the source they were made from."""
        italian.apply(service, SOURCE_LANGUAGE, "")
        source = text_in(service, SOURCE_LANGUAGE)
        if source is not None:
            source.source_digest = source.content_digest()

    async def save_translation(
        self, service_id: int, language: str, values: Mapping[str, str]
    ) -> tuple[Service | None, FieldErrors]:
        service = await self.service(service_id)
        permissions.require(
            language != SOURCE_LANGUAGE
            and permissions.may_translate(self.account, language, service.city.slug)
        )
        text, errors = TextForm.read(values)
        if errors:
            return None, errors
        before = snapshot(service)
        text.apply(service, language, source_digest(service))
        await self.session.flush()
        await self._audit("translate", service, before, summary=language)
        return service, errors

    async def delete_service(self, service_id: int) -> None:
        service = await self.service(service_id)
        permissions.require(permissions.may_edit_city(self.account, service.city.slug))
        before = snapshot(service)
        await self.session.delete(service)
        await self.session.flush()
        self.session.add(self._entry("delete", service_id, service.city.slug, before, None, ""))

    async def undo(self, entry_id: int) -> AuditEntry:
        entry = await self.session.get(AuditEntry, entry_id)
        if entry is None or entry.entity != "service" or entry.undone_by_id is not None:
            raise LookupError(entry_id)
        permissions.require(permissions.may_edit_city(self.account, entry.city_slug))
        service = await load_service(self.session, entry.entity_id)
        current = snapshot(service) if service else None
        if current != entry.after:
            raise UndoConflict(entry_id)
        restored = await self._restore(entry.entity_id, service, entry.before)
        undo_entry = self._entry(
            "undo",
            entry.entity_id,
            entry.city_slug,
            current,
            snapshot(restored) if restored else None,
            f"#{entry.id}",
        )
        self.session.add(undo_entry)
        await self.session.flush()
        entry.undone_by_id = undo_entry.id
        return undo_entry

    async def _restore(
        self, service_id: int, service: Service | None, state: dict[str, Any] | None
    ) -> Service | None:
        if state is None:
            if service is not None:
                await self.session.delete(service)
            await self.session.flush()
            return None
        cities = await self.cities()
        form, _ = ServiceForm.read(state, set(cities))
        if form is None:
            raise UndoConflict(service_id)
        if service is None:
            service = Service(id=service_id, texts=[], hours=[], closures=[])
            self.session.add(service)
        form.apply(service, cities[form.city])
        service.is_sample = bool(state.get("is_sample"))
        for language in [t.language for t in service.texts if t.language not in state["texts"]]:
            TextForm().apply(service, language, "")
        for language, text in state["texts"].items():
            parsed, _ = TextForm.read(text)
            parsed.apply(service, language, text.get("source_digest", ""))
        await self.session.flush()
        return service

    async def _audit(
        self, action: str, service: Service, before: dict[str, Any] | None, summary: str = ""
    ) -> None:
        after = snapshot(service)
        if after == before:
            return
        self.session.add(self._entry(action, service.id, service.city.slug, before, after, summary))

    def _entry(
        self,
        action: str,
        entity_id: int,
        city_slug: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        summary: str,
    ) -> AuditEntry:
        return AuditEntry(
            account_id=self.account.id,
            username=self.account.username,
            action=action,
            entity="service",
            entity_id=entity_id,
            city_slug=city_slug,
            summary=summary or (after or before or {}).get("name", ""),
            before=before,
            after=after,
        )


def changed_fields(entry: AuditEntry) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for what an audit entry changed, texts per language."""
    before, after = entry.before or {}, entry.after or {}
    rows = []
    for name in sorted(set(before) | set(after) - {"texts"}):
        if name != "texts" and before.get(name) != after.get(name):
            rows.append((name, before.get(name), after.get(name)))
    texts_before, texts_after = before.get("texts", {}), after.get("texts", {})
    for language in sorted(set(texts_before) | set(texts_after)):
        old, new = texts_before.get(language, {}), texts_after.get(language, {})
        for name in ("label", "description", "documents", "notes"):
            if old.get(name, "") != new.get(name, ""):
                rows.append((f"{name} [{language}]", old.get(name), new.get(name)))
    return rows


def expiring(services: Sequence[Service], today: dt.date, days: int = 30) -> list[Service]:
    """Services whose "valid until" date falls in the next `days` days, soonest first."""
    limit = today + dt.timedelta(days=days)
    return sorted(
        (s for s in services if s.valid_until and today <= s.valid_until <= limit),
        key=lambda s: s.valid_until or today,
    )


def expired(services: Sequence[Service], today: dt.date) -> list[Service]:
    return sorted(
        (s for s in services if s.is_expired(today)), key=lambda s: s.valid_until or today
    )


UNKNOWN_SERVICE = N_("This service does not exist any more.")
