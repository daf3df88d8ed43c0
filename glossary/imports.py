"""Terms in and out as CSV: the import (all or nothing, or only the good rows, each bad row reported with its line)
and the export in the same columns. Every imported term goes through ``services.term_create`` (and
``term_submit``), so an import never approves anything."""

import csv
import io
import re
from dataclasses import dataclass, field

from django.db import DatabaseError, transaction
from django.http import HttpResponse
from django.utils.text import slugify

from glossary import permissions
from glossary.models import Term, TermAlias, name_key
from glossary.services import term_create, term_submit
from portal.csv_safe import csv_response
from portal.errors import DomainError, require
from portal.services import audit_record
from products.models import Domain

CSV_COLUMNS = ["name", "domain", "definition", "synonyms", "abbreviations", "examples", "status"]
IMPORT_MAX_ROWS = 5000


@dataclass
class ImportResult:
    mode: str  # "all_or_nothing" or "good_rows"
    rows: int = 0
    created: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # (line number, message)

    @property
    def imported(self) -> int:
        return len(self.created)

    @property
    def summary(self) -> str:
        if not self.errors:
            return f"Imported {self.imported} of {self.rows} rows."
        if self.mode == "all_or_nothing":
            return f"Imported nothing: {len(self.errors)} of {self.rows} rows have errors (all or nothing)."
        return (
            f"Imported {self.imported} of {self.rows} rows; skipped {len(self.errors)} bad rows (only the good rows)."
        )

    def as_dict(self) -> dict:
        return {
            "mode": self.mode,
            "rows": self.rows,
            "imported": self.imported,
            "summary": self.summary,
            "created": [{"id": term.pk, "name": term.name, "status": term.status} for term in self.created],
            "errors": [{"line": line, "message": message} for line, message in self.errors],
        }


def _decode(data) -> str:
    if isinstance(data, bytes):
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise DomainError("The file is neither UTF-8 nor Windows-1252 text.", field="file")
    return data


def terms_import(*, actor, data, good_rows_only: bool = False, submit: bool = False) -> ImportResult:
    """Import terms from CSV (header: name, domain, definition, synonyms, abbreviations, examples[, status]).

    Imported terms enter as drafts, or in review with ``submit`` (or a row's status ``in_review``); an import never
    approves. Each bad row is reported with its line number. By default the import is all or nothing; with
    ``good_rows_only`` the good rows are imported and the bad ones reported.
    """
    require(permissions.can_import_terms(actor), "Only stewards import terms.")
    result = ImportResult(mode="good_rows" if good_rows_only else "all_or_nothing")
    try:
        text = _decode(data)
        reader = csv.DictReader(io.StringIO(text))
        header = [(column or "").strip().lower() for column in (reader.fieldnames or [])]
    except csv.Error as exc:
        raise DomainError(f"This is not a readable CSV file: {exc}.", field="file") from exc
    if "name" not in header or "definition" not in header:
        raise DomainError("The first line must name the columns; name and definition are required.", field="file")
    reader.fieldnames = header
    domains = {domain.slug: domain for domain in Domain.objects.all()}
    domains.update({domain.name.lower(): domain for domain in domains.copy().values()})
    existing = set(Term.objects.values_list("domain_id", "slug"))
    seen: dict = {}
    good: list = []
    try:
        for row in reader:
            line = reader.line_num
            result.rows += 1
            if result.rows > IMPORT_MAX_ROWS:
                raise DomainError(f"An import holds at most {IMPORT_MAX_ROWS} rows.", field="file")
            problem, spec = _import_row(row, domains, existing, seen, line, submit)
            if problem:
                result.errors.append((line, problem))
            else:
                good.append((line, spec))
    except csv.Error as exc:
        result.errors.append((reader.line_num, f"unreadable CSV: {exc}"))
    if result.errors and not good_rows_only:
        return result
    with transaction.atomic():
        for line, spec in good:
            wants_review = spec.pop("submit")
            try:
                with transaction.atomic():
                    term = term_create(actor=actor, **spec)
                    if wants_review:
                        term = term_submit(actor=actor, term=term)
            except (DomainError, DatabaseError) as error:
                message = error.message if isinstance(error, DomainError) else _database_refusal(error)
                result.errors.append((line, message))
                if not good_rows_only:
                    transaction.set_rollback(True)
                    result.created = []
                    return result
                continue
            result.created.append(term)
        audit_record(
            actor=actor,
            action="term.import",
            target=actor,
            data={"rows": result.rows, "imported": result.imported, "errors": len(result.errors), "mode": result.mode},
        )
    result.errors.sort()
    return result


# Text may hold line breaks and tabs (a quoted multi-line definition); no other control character is text, and
# PostgreSQL refuses NUL outright.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _control_character_in(row: dict) -> str | None:
    for column, value in row.items():
        if isinstance(value, str) and (found := CONTROL_CHARACTERS.search(value)):
            name = "NUL" if found.group() == "\x00" else f"U+{ord(found.group()):04X}"
            return f"{column}: holds a control character ({name}); remove it and import the line again"
    return None


def _import_row(row: dict, domains: dict, existing: set, seen: dict, line: int, submit: bool):
    if None in row:
        return "too many columns", None
    if problem := _control_character_in(row):
        return problem, None
    name = (row.get("name") or "").strip()
    definition = (row.get("definition") or "").strip()
    if not name or not name_key(name):
        return "name is missing", None
    if len(name) > 150:
        return "name is longer than 150 characters", None
    if not definition:
        return f"“{name}”: definition is missing", None
    domain_text = (row.get("domain") or "").strip()
    domain = None
    if domain_text and domain_text.lower() not in ("enterprise", "enterprise-wide", "*"):
        domain = domains.get(domain_text) or domains.get(domain_text.lower())
        if domain is None:
            return f"“{name}”: unknown domain “{domain_text}”", None
    status = (row.get("status") or "").strip().lower().replace(" ", "_")
    if status not in ("", Term.Status.DRAFT, Term.Status.IN_REVIEW):
        return f"“{name}”: status “{status}” cannot be imported (use draft or in_review; imports are reviewed)", None
    slug = slugify(name)[:160] or "term"
    key = (domain.pk if domain else None, slug)
    if key in seen:
        return f"“{name}”: duplicate of line {seen[key]} in this file", None
    seen[key] = line
    if key in existing:
        return f"“{name}”: a term with this name already exists in {domain or 'the enterprise-wide glossary'}", None
    return None, {
        "name": name,
        "definition": definition,
        "domain": domain,
        "examples": (row.get("examples") or "").strip(),
        "synonyms": (row.get("synonyms") or "").replace(";", ","),
        "abbreviations": (row.get("abbreviations") or "").replace(";", ","),
        "submit": submit or status == Term.Status.IN_REVIEW,
    }


def _database_refusal(error: DatabaseError) -> str:
    """A one-line reason for a row the database refused, without the statement or its values."""
    first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
    return f"the database refused this row ({type(error).__name__}: {first_line[:160]})"


def terms_export_rows(terms):
    """One CSV row per term, in the import's columns; ``terms`` come from a selector that decided visibility."""
    for term in terms:
        aliases = list(term.aliases.all())
        yield [
            term.name,
            term.domain.slug if term.domain_id else "",
            term.definition,
            "; ".join(a.name for a in aliases if a.kind == TermAlias.Kind.SYNONYM),
            "; ".join(a.name for a in aliases if a.kind == TermAlias.Kind.ABBREVIATION),
            term.examples,
            term.status,
        ]


def terms_export(terms) -> HttpResponse:
    """The CSV download of ``terms`` (the page and the API alike), cells defused by ``portal.csv_safe``."""
    return csv_response("glossary.csv", CSV_COLUMNS, terms_export_rows(terms))
