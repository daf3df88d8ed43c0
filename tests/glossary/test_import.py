"""CSV import: bad rows are reported with their line numbers; all or nothing by default, or only the good rows;
imported terms are never approved; the page and the API never answer 500."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from glossary import imports
from glossary.models import Term
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = "name,domain,definition,synonyms,abbreviations,examples\n"
MIXED = (
    HEADER
    + "Churn,crm,Customers lost in 90 days.,Attrition,,\n"  # line 2: good
    + ",crm,No name here.,,,\n"  # line 3: missing name
    + "Margin,atlantis,Unknown domain.,,,\n"  # line 4: unknown domain
    + "Lead,sales,A prospect.,,,\n"  # line 5: good
    + "churn,crm,Duplicate of line 2.,,,\n"  # line 6: duplicate in file
    + "Existing,crm,Clashes with a stored term.,,,\n"  # line 7: duplicate of an existing term
)


@pytest.fixture
def existing(crm, author):
    return factories.TermFactory(name="Existing", domain=crm, author=author)


def _lines(result) -> dict:
    return dict(result.errors)


def test_all_or_nothing_imports_nothing_and_reports_every_bad_row(enterprise_steward, sales, existing):
    result = imports.terms_import(actor=enterprise_steward, data=MIXED.encode())
    assert result.mode == "all_or_nothing"
    assert result.imported == 0
    assert sorted(_lines(result)) == [3, 4, 6, 7]
    assert "name is missing" in _lines(result)[3]
    assert "unknown domain “atlantis”" in _lines(result)[4]
    assert "duplicate of line 2" in _lines(result)[6]
    assert "already exists" in _lines(result)[7]
    assert "Imported nothing" in result.summary
    assert Term.objects.count() == 1


def test_only_the_good_rows_imports_them_as_drafts(enterprise_steward, sales, existing):
    result = imports.terms_import(actor=enterprise_steward, data=MIXED, good_rows_only=True)
    assert result.mode == "good_rows"
    assert sorted(term.name for term in result.created) == ["Churn", "Lead"]
    assert sorted(_lines(result)) == [3, 4, 6, 7]
    assert "skipped 4 bad rows" in result.summary
    churn = Term.objects.get(name="Churn")
    assert churn.status == Term.Status.DRAFT
    assert [alias.name for alias in churn.aliases.all()] == ["Attrition"]


def test_an_import_never_approves(enterprise_steward, crm):
    data = HEADER.replace("\n", ",status\n") + "Churn,crm,Lost.,,,,approved\nLead,crm,A prospect.,,,,in_review\n"
    result = imports.terms_import(actor=enterprise_steward, data=data, good_rows_only=True)
    assert list(_lines(result)) == [2]
    assert "cannot be imported" in _lines(result)[2]
    assert Term.objects.get(name="Lead").status == Term.Status.IN_REVIEW
    submitted = imports.terms_import(actor=enterprise_steward, data=HEADER + "Segment,crm,A group.,,,\n", submit=True)
    assert [term.status for term in submitted.created] == ["in_review"]
    assert not Term.objects.filter(status=Term.Status.APPROVED).exists()


def test_import_page_shows_line_numbers_and_mode(client_for, enterprise_steward, sales, existing):
    upload = SimpleUploadedFile("terms.csv", MIXED.encode(), content_type="text/csv")
    response = client_for(enterprise_steward).post("/glossary/import/", {"file": upload})
    assert response.status_code == 200
    body = response.content.decode()
    assert "all or nothing" in body
    for line in ("<td>3</td>", "<td>4</td>", "<td>6</td>", "<td>7</td>"):
        assert line in body
    assert Term.objects.count() == 1
    upload = SimpleUploadedFile("terms.csv", MIXED.encode(), content_type="text/csv")
    response = client_for(enterprise_steward).post("/glossary/import/", {"file": upload, "good_rows_only": "on"})
    assert "only the good rows" in response.content.decode()
    assert Term.objects.count() == 3


@pytest.mark.parametrize(
    "payload",
    [
        b"\xff\xfe\x00garbage\x00",
        b"",
        b"just one line without the columns",
        b'name,definition\n"unterminated,quote\n',
        b"name,definition\nA,B,C,D\n",
    ],
)
def test_broken_files_never_give_a_500(client_for, api_for, enterprise_steward, payload):
    upload = SimpleUploadedFile("terms.csv", payload, content_type="text/csv")
    assert client_for(enterprise_steward).post("/glossary/import/", {"file": upload}).status_code == 200
    response = api_for(enterprise_steward).post(
        "/api/v1/glossary/terms/import/", {"csv": payload.decode("latin-1") or " "}, format="json"
    )
    assert response.status_code in (200, 400)


def test_api_import_reports_rows_and_mode(api_for, enterprise_steward, sales, existing):
    response = api_for(enterprise_steward).post("/api/v1/glossary/terms/import/", {"csv": MIXED}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["mode"] == "all_or_nothing" and body["imported"] == 0
    assert [error["line"] for error in body["errors"]] == [3, 4, 6, 7]
    response = api_for(enterprise_steward).post(
        "/api/v1/glossary/terms/import/", {"csv": MIXED, "good_rows_only": True}, format="json"
    )
    assert response.status_code == 200 and response.json()["imported"] == 2


def test_only_stewards_import(api_for, client_for, analyst):
    assert client_for(analyst).get("/glossary/import/").status_code == 403
    response = api_for(analyst).post("/api/v1/glossary/terms/import/", {"csv": MIXED}, format="json")
    assert response.status_code == 403


def test_export_round_trips_through_import(client_for, enterprise_steward, crm, author):
    factories.TermFactory(name="Churn", domain=crm, author=author, definition="=1+1 lost customers")
    factories.TermAliasFactory(term=Term.objects.get(name="Churn"), name="Attrition")
    response = client_for(enterprise_steward).get("/glossary/export.csv")
    text = response.content.decode()
    assert response["Content-Type"].startswith("text/csv")
    assert "Churn,crm,'=1+1 lost customers,Attrition" in text  # formula cells are neutralised


def _with_a_nul_row(good: int = 120) -> bytes:
    rows = [f"Term {n:04d},crm,Definition {n}.,,," for n in range(good)]
    rows.insert(50, "Bad\x00Term,crm,Has a NUL.,,,")
    rows.insert(70, "Bell,crm,Rings\x07 here.,,,")
    return (HEADER + "\n".join(rows) + "\n").encode()


@pytest.mark.parametrize("good_rows_only", [False, True])
def test_control_characters_are_reported_by_line_in_both_modes(
    client_for, api_for, enterprise_steward, crm, good_rows_only
):
    data = _with_a_nul_row()
    upload = SimpleUploadedFile("terms.csv", data, content_type="text/csv")
    form = {"file": upload, **({"good_rows_only": "on"} if good_rows_only else {})}
    page = client_for(enterprise_steward).post("/glossary/import/", form)
    assert page.status_code == 200
    result = page.context["result"]
    assert [line for line, _message in result.errors] == [52, 72]
    assert "control character (NUL)" in result.errors[0][1] and "U+0007" in result.errors[1][1]
    assert Term.objects.count() == (120 if good_rows_only else 0)

    Term.objects.all().delete()
    upload = SimpleUploadedFile("terms.csv", data, content_type="text/csv")
    body = {"file": upload, **({"good_rows_only": "true"} if good_rows_only else {})}
    response = api_for(enterprise_steward).post("/api/v1/glossary/terms/import/", body, format="multipart")
    assert response.status_code == (200 if good_rows_only else 400)
    assert [error["line"] for error in response.json()["errors"]] == [52, 72]
    assert response.json()["imported"] == (120 if good_rows_only else 0)


def test_a_row_the_database_refuses_is_reported_and_the_good_rows_go_in(enterprise_steward, crm, monkeypatch):
    from django.db import DataError

    real_create = imports.term_create

    def refuse_one(**spec):
        if spec["name"] == "Lead":
            raise DataError('value too long for type character varying(150)\nCONTEXT: "Lead"')
        return real_create(**spec)

    monkeypatch.setattr(imports, "term_create", refuse_one)
    data = HEADER + "Churn,crm,Lost.,,,\nLead,crm,A prospect.,,,\nMargin,crm,Profit.,,,\n"
    result = imports.terms_import(actor=enterprise_steward, data=data, good_rows_only=True)
    assert sorted(term.name for term in result.created) == ["Churn", "Margin"]
    assert _lines(result)[3].startswith("the database refused this row (DataError: value too long")
    assert "\n" not in _lines(result)[3]
    Term.objects.all().delete()
    result = imports.terms_import(actor=enterprise_steward, data=data)
    assert result.imported == 0 and list(_lines(result)) == [3] and Term.objects.count() == 0
