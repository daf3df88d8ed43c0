"""Change classification: a table of schema pairs and the level each change must get."""

import pytest

from products.contracts.changes import (
    ADDITIVE,
    BREAKING,
    PATCH,
    change_level,
    schema_diff,
    version_next,
    version_problem,
)


def col(name, data_type="string", *, nullable=True, classification="", primary_key=False, description=""):
    return {
        "name": name,
        "data_type": data_type,
        "nullable": nullable,
        "classification": classification,
        "primary_key": primary_key,
        "description": description,
    }


BASE = [col("id", "integer", nullable=False, primary_key=True), col("email", classification="pii"), col("amount")]

CASES = [
    # (label, old, new, expected level, expected change kinds)
    ("nothing", BASE, BASE, None, []),
    ("column removed", BASE, BASE[:2], BREAKING, ["removed"]),
    ("column renamed", BASE, [BASE[0], BASE[1], col("total")], BREAKING, ["removed", "added"]),
    ("type integer → string", BASE, [col("id", nullable=False, primary_key=True), *BASE[1:]], BREAKING, ["type"]),
    ("type string → numeric", BASE, [*BASE[:2], col("amount", "numeric")], BREAKING, ["type"]),
    ("type case only", BASE, [col("id", "INTEGER", nullable=False, primary_key=True), *BASE[1:]], None, []),
    ("required made nullable", BASE, [col("id", "integer", primary_key=True), *BASE[1:]], BREAKING, ["nullable"]),
    ("pii lowered to none", BASE, [BASE[0], col("email"), BASE[2]], BREAKING, ["declassified"]),
    (
        "pii lowered to confidential",
        BASE,
        [BASE[0], col("email", classification="confidential"), BASE[2]],
        BREAKING,
        ["declassified"],
    ),
    (
        "sensitive lowered to confidential",
        [col("a", classification="sensitive")],
        [col("a", classification="confidential")],
        BREAKING,
        ["declassified"],
    ),
    (
        "primary key moved",
        BASE,
        [col("id", "integer", nullable=False), col("email", classification="pii", primary_key=True), BASE[2]],
        BREAKING,
        ["primary_key"],
    ),
    ("primary key dropped", BASE, [col("id", "integer", nullable=False), *BASE[1:]], BREAKING, ["primary_key"]),
    ("primary key widened", BASE, [BASE[0], BASE[1], col("amount", primary_key=True)], BREAKING, ["primary_key"]),
    ("column added", BASE, [*BASE, col("currency")], ADDITIVE, ["added"]),
    ("required column added", BASE, [*BASE, col("currency", nullable=False)], ADDITIVE, ["added"]),
    ("nullable made required", BASE, [*BASE[:2], col("amount", nullable=False)], ADDITIVE, ["required"]),
    ("none raised to pii", BASE, [*BASE[:2], col("amount", classification="pii")], ADDITIVE, ["classified"]),
    (
        "confidential raised to sensitive",
        [col("a", classification="confidential")],
        [col("a", classification="sensitive")],
        ADDITIVE,
        ["classified"],
    ),
    ("description changed", BASE, [*BASE[:2], col("amount", description="In euros.")], PATCH, ["description"]),
    ("columns reordered", BASE, [BASE[1], BASE[0], BASE[2]], PATCH, ["order"]),
    ("added and removed", BASE, [BASE[0], BASE[1], col("currency")], BREAKING, ["removed", "added"]),
    (
        "additive and patch",
        BASE,
        [*BASE[:2], col("amount", nullable=False, description="x")],
        ADDITIVE,
        ["required", "description"],
    ),
    (
        "primary key where there was none",
        [col("a", nullable=False)],
        [col("a", nullable=False, primary_key=True)],
        BREAKING,
        ["primary_key"],
    ),
]


@pytest.mark.parametrize(("label", "old", "new", "level", "kinds"), CASES, ids=[case[0] for case in CASES])
def test_each_change_gets_its_level(label, old, new, level, kinds):
    changes = schema_diff(old, new)
    assert sorted(change.kind for change in changes) == sorted(kinds)
    assert change_level(changes) == level


def test_breaking_changes_come_first_and_name_their_column():
    changes = schema_diff(BASE, [col("id", "text", nullable=False, primary_key=True), col("email"), col("x")])
    assert [change.level for change in changes][:3] == [BREAKING] * 3
    assert {change.column for change in changes if change.level == BREAKING} == {"id", "email", "amount"}


@pytest.mark.parametrize(
    ("old", "new", "refused"),
    [
        ("1.4.2", "1.5.0", True),
        ("1.4.2", "1.4.2", True),
        ("1.4.2", "2.0.0", False),
        ("1.4.2", "3.0.0", False),
        ("2.0.0", "1.9.0", True),
    ],
)
def test_a_breaking_change_needs_a_new_major(old, new, refused):
    changes = schema_diff(BASE, BASE[:2])
    problem = version_problem(old, new, changes)
    assert (problem is not None) == refused
    if refused and new >= old:
        assert "Column amount was removed" in problem and "2.0.0" in problem


def test_non_breaking_changes_may_keep_the_major():
    changes = schema_diff(BASE, [*BASE, col("currency")])
    assert version_problem("1.4.2", "1.5.0", changes) is None
    assert version_next("1.4.2", ADDITIVE) == "1.5.0"
    assert version_next("1.4.2", PATCH) == "1.4.3"
    assert version_next("1.4.2", BREAKING) == "2.0.0"
