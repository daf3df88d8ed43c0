"""Every CSV download goes through ``portal.csv_safe``: a cell a spreadsheet would run as a formula (=, +, -, @, a
tab, a carriage return first) arrives prefixed with ``'``, in the data export of a port, the glossary's export
(page and API) and the council's decision log; numbers stay numbers."""

import csv
import io
import sqlite3

import pytest
from django.urls import reverse

from portal.csv_safe import csv_safe
from portal.services import audit_record
from tests import factories

pytestmark = pytest.mark.django_db

HOSTILE = ["=1+1", "+1", "-1+2", "@SUM(A1:A9)", "\t=1", "\r=1", '=HYPERLINK("http://x","y")']


def cells(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.reader(io.StringIO(response.content.decode(), newline="")))


def assert_defused(rows: list[list[str]]) -> None:
    flat = [cell for row in rows for cell in row]
    for value in HOSTILE:
        assert "'" + value in flat, value
        assert value not in flat, value
    for cell in flat:
        assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell


def test_the_guard():
    for value in HOSTILE:
        assert csv_safe(value) == "'" + value
    assert csv_safe(-5) == "-5" and csv_safe(2.5) == "2.5"
    assert csv_safe("- a list item") == "- a list item" and csv_safe("plain") == "plain" and csv_safe(None) == ""


@pytest.fixture
def hostile_port(tmp_path, team, product):
    path = tmp_path / "hostile.sqlite3"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, note TEXT, amount INTEGER)")
    connection.executemany(
        "INSERT INTO notes (id, note, amount) VALUES (?, ?, ?)",
        [(index, value, -index) for index, value in enumerate(HOSTILE, start=1)],
    )
    connection.commit()
    connection.close()
    warehouse = factories.WarehouseFactory(name="hostile", engine="sqlite", path=str(path))
    port = factories.OutputPortFactory(product=product, name="notes", warehouse=warehouse, table="notes")
    for position, (name, data_type) in enumerate([("id", "integer"), ("note", "text"), ("amount", "integer")]):
        factories.SchemaFieldFactory(port=port, name=name, data_type=data_type, position=position)
    return port


def test_port_data_export_defuses_formulas(client_for, owner, hostile_port):
    product = hostile_port.product
    url = reverse("products:port-export", args=[product.domain.slug, product.slug, hostile_port.pk])
    response = client_for(owner).get(url)
    rows = cells(response)
    assert response["Content-Disposition"] == f'attachment; filename="{product.slug}-notes.csv"'
    assert rows[0] == ["id", "note", "amount"]
    assert_defused(rows[1:])
    assert [row[2] for row in rows[1:]] == [str(-index) for index in range(1, len(HOSTILE) + 1)]


def test_glossary_exports_defuse_formulas(client_for, api_for, admin_user):
    for index, value in enumerate(HOSTILE):
        term = factories.TermFactory(name=f"Term {index}", definition=value, examples=value)
        factories.TermAliasFactory(term=term, name=value)
    assert_defused(cells(client_for(admin_user).get("/glossary/export.csv")))
    assert_defused(cells(api_for(admin_user).get("/api/v1/glossary/terms/export/")))


def test_decision_log_export_defuses_formulas(client_for, admin_user):
    council = factories.CouncilFactory()
    proposal = factories.ProposalFactory(council=council)
    for value in HOSTILE:
        audit_record(
            actor=admin_user, action="proposal.comment", target=proposal, comment=value, data={"council": council.pk}
        )
    rows = cells(client_for(admin_user).get(f"/governance/councils/{council.pk}/decisions.csv"))
    assert_defused(rows)
