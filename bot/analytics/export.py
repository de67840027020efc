"""The report as files: an XLSX workbook (a definitions sheet, then a sheet per indicator)
and the same sheets as CSV files in a ZIP archive. Withheld cells read "<5" or "n.d."."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator, Sequence

from openpyxl import Workbook
from openpyxl.styles import Font

from bot.analytics.report import Report, Sheet
from bot.workspace.csv_exchange import neutralised

MAX_SHEET_TITLE = 31


def sheet_rows(sheet: Sheet) -> Iterator[Sequence[object]]:
    """The sheet as rows: a header, then each row with its (possibly withheld) values."""
    table = sheet.table
    extra = list(sheet.extra)
    yield ["", *table.columns, *extra]
    for i, label in enumerate(table.rows):
        values = [table.display(i, j) for j in range(len(table.columns))]
        yield [label, *values, *(sheet.extra[name][i] for name in extra)]


def definition_rows(report: Report) -> Iterator[Sequence[object]]:
    yield [report.title]
    yield from ([name, value] for name, value in report.filters_text)
    yield []
    yield list(report.headers[:2])
    yield from ([sheet.title, sheet.definition] for sheet in report.sheets)
    yield []
    yield [report.headers[2]]


def sheet_title(title: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", "-", title)[:MAX_SHEET_TITLE]


def to_xlsx(report: Report) -> bytes:
    workbook = Workbook()
    definitions = workbook.active
    assert definitions is not None
    definitions.title = sheet_title(report.definitions_title)
    for row in definition_rows(report):
        definitions.append(row)
    definitions["A1"].font = Font(bold=True, size=14)
    definitions.column_dimensions["A"].width = 32
    definitions.column_dimensions["B"].width = 100
    for sheet in report.sheets:
        worksheet = workbook.create_sheet(sheet_title(sheet.title))
        for row in sheet_rows(sheet):
            worksheet.append([v if isinstance(v, int | float) else neutralised(v) for v in row])
        for cell in worksheet[1]:
            cell.font = Font(bold=True)
        worksheet.column_dimensions["A"].width = 28
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def to_csv_zip(report: Report) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("00-definizioni.csv", _csv(definition_rows(report)))
        for number, sheet in enumerate(report.sheets, start=1):
            archive.writestr(f"{number:02d}-{sheet.key}.csv", _csv(sheet_rows(sheet)))
    return out.getvalue()


def _csv(rows: Iterator[Sequence[object]]) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";")  # what a spreadsheet set to Italian expects
    for row in rows:
        writer.writerow([v if isinstance(v, int | float) else neutralised(v) for v in row])
    return ("\ufeff" + text.getvalue()).encode()  # BOM: spreadsheets read UTF-8 then
