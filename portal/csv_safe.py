"""CSV files people open in a spreadsheet: cells that would run as a formula are defused (CSV injection),
and the download's file name goes through Django's ``Content-Disposition`` helper."""

import csv
import re
from collections.abc import Iterable
from decimal import Decimal

from django.http import HttpResponse
from django.utils.http import content_disposition_header

FORMULA_STARTS = ("=", "+", "@", "\t", "\r")
UNSAFE_IN_FILENAME = re.compile(r"[\x00-\x1f\x7f-\x9f\"'`\\/]")


def csv_safe(value) -> str:
    """The cell as text, prefixed with ``'`` when a spreadsheet would read it as a formula. Numbers stay numbers
    (a negative amount is data, not a formula)."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else str(value)
    risky = text[:1] in FORMULA_STARTS or (text[:1] == "-" and text[1:2] not in (" ", ""))
    return "'" + text if risky else text


def csv_rows_safe(rows: Iterable[Iterable]) -> list[list[str]]:
    return [[csv_safe(value) for value in row] for row in rows]


def download_filename(name: str) -> str:
    """A file name fit for ``Content-Disposition``: names are validated when saved, and this also covers rows saved
    before (a line break would split the header, a quote end the name)."""
    return UNSAFE_IN_FILENAME.sub("_", name).strip() or "download"


def attachment_header(filename: str) -> str:
    """The ``Content-Disposition`` value of a download, built by Django from a cleaned file name."""
    return content_disposition_header(as_attachment=True, filename=download_filename(filename))


def csv_response(filename: str, header: list[str], rows: Iterable[Iterable]) -> HttpResponse:
    """A CSV download with every cell defused; the file name is quoted by Django, never pasted into a header."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = attachment_header(filename)
    writer = csv.writer(response)
    writer.writerow([csv_safe(name) for name in header])
    writer.writerows(csv_rows_safe(rows))
    return response
