"""Service texts as gettext PO files (Babel) for Poedit or Weblate, and back.

One entry per field of a service's Italian text: `msgctxt` = "service:<id>:<field>",
`msgid` = the Italian text, `msgstr` = the translation. Outdated translations (the Italian
changed since) are exported as fuzzy. On import, an entry whose Italian no longer matches
the current source, a fuzzy entry, or one for a service the staff member may not
translate is reported and not applied.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from bot.i18n import N_
from bot.kb.models import SOURCE_LANGUAGE, Service
from bot.staff.models import StaffAccount
from bot.workspace import permissions
from bot.workspace.editor import TranslationStatus, text_in, translation_status
from bot.workspace.forms import MAX_LENGTHS, TEXT_FIELDS, TextForm

CONTEXT_PREFIX = "service"
PROJECT = "LGNet assistant – service texts"


def export_po(services: Sequence[Service], language: str) -> bytes:
    catalog = Catalog(
        locale=language,
        project=PROJECT,
        charset="utf-8",
        creation_date=dt.datetime.now(dt.UTC),
        fuzzy=False,
    )
    for service in services:
        source = TextForm.of(text_in(service, SOURCE_LANGUAGE)).values()
        target = TextForm.of(text_in(service, language)).values()
        outdated = translation_status(service, language) == TranslationStatus.OUTDATED
        for name in TEXT_FIELDS:
            if not source[name]:
                continue
            flags = ["fuzzy"] if outdated and target[name] else []
            catalog.add(
                source[name],
                target[name],
                context=f"{CONTEXT_PREFIX}:{service.id}:{name}",
                auto_comments=[f"{service.city.name} · {service.topic} · {service.name}"],
                flags=flags,
            )
    out = io.BytesIO()
    write_po(out, catalog, width=0, sort_output=False, include_previous=False)
    return out.getvalue()


@dataclass
class TextChange:
    service: Service
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class Refused:
    """An entry not applied: where it is, its beginning, and why (a msgid with values)."""

    context: str
    excerpt: str
    reason: str
    values: tuple[tuple[str, object], ...] = ()


@dataclass
class PoImport:
    language: str
    changes: list[TextChange] = field(default_factory=list)
    skipped: list[Refused] = field(default_factory=list)
    error: str = ""

    def by_service(self) -> dict[int, dict[str, str]]:
        values: dict[int, dict[str, str]] = {}
        for change in self.changes:
            values.setdefault(change.service.id, {})[change.field] = change.after
        return values


def read_import(
    data: bytes, language: str, services: dict[int, Service], account: StaffAccount
) -> PoImport:
    result = PoImport(language)
    try:
        catalog = read_po(io.BytesIO(data), locale=None, abort_invalid=True)
    except Exception:
        result.error = N_("This is not a valid PO file.")
        return result
    if catalog.locale_identifier and catalog.locale_identifier.split("_")[0] != language:
        result.error = N_("This PO file is for another language.")
        return result
    for message in catalog:
        if not message.id or not message.context:
            continue
        _read_entry(result, message, services, account)
    return result


def _read_entry(
    result: PoImport, message: object, services: dict[int, Service], account: StaffAccount
) -> None:
    context = str(getattr(message, "context", ""))
    msgid = str(getattr(message, "id", ""))
    msgstr = str(getattr(message, "string", "") or "")
    excerpt = msgid[:60]
    prefix, _, rest = context.partition(":")
    service_id, _, name = rest.partition(":")
    service = services.get(int(service_id)) if service_id.isdigit() else None

    def refuse(reason: str, **values: object) -> None:
        result.skipped.append(Refused(context, excerpt, reason, tuple(values.items())))

    if prefix != CONTEXT_PREFIX or service is None or name not in TEXT_FIELDS:
        refuse(N_("Unknown entry: not from this workspace."))
        return
    if not permissions.may_translate(account, result.language, service.city.slug):
        refuse(N_("You may not translate this service."))
        return
    if getattr(message, "fuzzy", False):
        refuse(N_("Marked fuzzy: review it, then import."))
        return
    source = TextForm.of(text_in(service, SOURCE_LANGUAGE)).values()
    if source[name] != msgid:
        refuse(N_("The Italian text changed since the export."))
        return
    limit = MAX_LENGTHS.get(name)
    if limit is not None and len(msgstr) > limit:
        refuse(N_("Too long: at most {limit} characters."), limit=limit)
        return
    current = TextForm.of(text_in(service, result.language)).values()[name]
    if msgstr and msgstr != current:
        result.changes.append(TextChange(service, name, current, msgstr))
