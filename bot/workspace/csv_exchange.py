"""Services as CSV for bulk updates: export, and an all-or-nothing import that reports
every bad row and field before anything is written.

A cell that a spreadsheet would read as a formula (OWASP's CSV injection rule: beginning
with =, +, -, @, a tab or a carriage return) is written with a leading apostrophe, which
spreadsheets show as text; so is a cell that begins with an apostrophe, so that the import
can take exactly one apostrophe off and get every value back unchanged."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.i18n import N_
from bot.kb.models import SOURCE_LANGUAGE, Service
from bot.workspace import permissions
from bot.workspace.editor import Editor
from bot.workspace.forms import SERVICE_FIELDS, TEXT_FIELDS, ServiceForm

TEXT_COLUMNS = tuple(f"{SOURCE_LANGUAGE}_{name}" for name in TEXT_FIELDS)
COLUMNS = ("id", *SERVICE_FIELDS, *TEXT_COLUMNS)
DOCUMENT_SEPARATOR = " | "
MAX_ROWS = 20_000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_MARK = "'"


def neutralised(value: object) -> str:
    """A cell no spreadsheet runs as a formula."""
    text = str(value)
    return TEXT_MARK + text if text.startswith((*FORMULA_STARTS, TEXT_MARK)) else text


def restored(cell: str) -> str:
    """The value of a cell written by `neutralised`."""
    return cell[1:] if cell.startswith(TEXT_MARK) else cell


def export_csv(services: Sequence[Service]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for service in services:
        form = ServiceForm.of(service)
        text = form.text.values() | {"documents": DOCUMENT_SEPARATOR.join(form.text.documents)}
        row = {
            "id": service.id,
            **form.values(),
            **{f"{SOURCE_LANGUAGE}_{k}": v for k, v in text.items()},
        }
        writer.writerow({column: neutralised(value) for column, value in row.items()})
    return out.getvalue()


@dataclass
class RowError:
    line: int
    column: str
    message: str  # msgid


@dataclass
class CsvImport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


def read_rows(data: bytes) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [RowError(1, "", N_("The file is not UTF-8 text: save it as CSV UTF-8."))]
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        return [], [RowError(1, ", ".join(missing), N_("Columns missing from the header."))]
    rows = [
        (reader.line_num, {k: restored(v or "") for k, v in row.items() if k}) for row in reader
    ]
    if len(rows) > MAX_ROWS:
        return [], [RowError(1, "", N_("Too many rows in one file."))]
    return rows, []


async def import_csv(editor: Editor, data: bytes) -> CsvImport:
    """Check every row, then write them all in the editor's session, or none of them."""
    report = CsvImport()
    rows, report.errors = read_rows(data)
    if report.errors:
        return report
    cities = set(await editor.cities())
    existing: dict[int, Service] = {}
    for line, row in rows:
        row[f"{SOURCE_LANGUAGE}_documents"] = "\n".join(
            row[f"{SOURCE_LANGUAGE}_documents"].split(DOCUMENT_SEPARATOR.strip())
        )
        report.errors.extend(await _check_row(editor, line, row, cities, existing))
    if report.errors:
        return report
    for _, row in rows:
        service_id = int(row["id"]) if row["id"].strip() else None
        before = _comparable(existing[service_id]) if service_id else None
        service, errors = await editor.save_service(service_id, row, action="import")
        assert service is not None and not errors  # checked above
        if service_id is None:
            report.created += 1
        elif _comparable(service) == before:
            report.unchanged += 1
        else:
            report.updated += 1
    return report


async def _check_row(
    editor: Editor,
    line: int,
    row: dict[str, str],
    cities: set[str],
    existing: dict[int, Service],
) -> list[RowError]:
    form, field_errors = ServiceForm.read(row, cities)
    errors = [RowError(line, name, message) for name, message in field_errors.items()]
    raw_id = row["id"].strip()
    if raw_id:
        try:
            existing[int(raw_id)] = await editor.service(int(raw_id))
        except (ValueError, LookupError):
            errors.append(RowError(line, "id", N_("No service with this id.")))
        else:
            if not permissions.may_edit_city(editor.account, existing[int(raw_id)].city.slug):
                errors.append(RowError(line, "city", N_("You may not edit this city.")))
    if form and not permissions.may_edit_city(editor.account, form.city):
        errors.append(RowError(line, "city", N_("You may not edit this city.")))
    return errors


def _comparable(service: Service) -> tuple[dict[str, str], dict[str, str]]:
    form = ServiceForm.of(service)
    return form.values(), form.text.values()
