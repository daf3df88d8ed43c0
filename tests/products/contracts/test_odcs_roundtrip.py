"""ODCS documents of every shape go in and come out the same: import succeeds, the export validates against the
official schema, and the round trip is lossless (modulo key order and values the standard gives by default)."""

from pathlib import Path

import pytest

from products.contracts import imports, odcs, selectors
from products.models import OutputPort

FOLDER = Path(__file__).parent / "odcs"
DOCUMENTS = sorted(FOLDER.glob("*.odcs.yaml"))


def test_the_folder_covers_every_shape():
    names = {path.name for path in DOCUMENTS}
    assert {"table", "nested", "arrays", "quality", "sla", "servers-roles", "custom-properties"} <= {
        name.split(".")[0] for name in names
    }


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.name)
def test_import_then_export_is_lossless(path, product, owner):
    text = path.read_text()
    (original,) = odcs.contracts_load(text)
    assert odcs.contract_problems(original) == []
    (outcome,) = imports.contracts_apply(actor=owner, text=text)
    assert outcome.created
    port = OutputPort.objects.get(pk=outcome.port_id)
    exported = selectors.contract_document(owner, port)
    assert odcs.contract_problems(exported) == []
    assert odcs.document_normalise(exported) == odcs.document_normalise(original)


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.name)
def test_applying_the_same_contract_again_changes_nothing(path, product, owner):
    text = path.read_text()
    imports.contracts_apply(actor=owner, text=text)
    (again,) = imports.contracts_apply(actor=owner, text=text)
    assert again.unchanged and not again.changes
