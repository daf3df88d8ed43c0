"""``field__any_of=ids``: membership in a long list of ids, for the jobs that read hundreds of rows by id at a time
(an enforcement chunk's products, their ports, fields, violations and scores).

``field__in=ids`` costs a placeholder per id: Django prepares every value through the field, the driver parses a
statement of 500 placeholders (too long for its statement cache) and PostgreSQL parses 500 parameters, in every
query of a chunk. On PostgreSQL ``any_of`` sends the list as one array, ``field = ANY(%s)``, which the planner
treats as ``IN`` (the same index scans); elsewhere (SQLite) it is the plain ``IN`` list.
"""

from django.core.exceptions import EmptyResultSet
from django.db import models


class AnyOf(models.Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    @property
    def _target(self) -> models.Field:
        field = self.lhs.output_field
        return field.target_field if field.is_relation else field  # a foreign key's ids are its target's values

    def get_prep_lookup(self):
        prepare = self._target.get_prep_value
        return [prepare(value) for value in dict.fromkeys(self.rhs)]

    def as_sql(self, compiler, connection):
        if not self.rhs:
            raise EmptyResultSet
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            if all(type(value) is int for value in self.rhs):
                # Written as one array literal: the driver would otherwise quote each element in Python.
                literal = "{" + ",".join(map(str, self.rhs)) + "}"
                return f"{lhs_sql} = ANY(%s::{self._target.rel_db_type(connection)}[])", (*lhs_params, literal)
            return f"{lhs_sql} = ANY(%s)", (*lhs_params, self.rhs)
        placeholders = ", ".join(["%s"] * len(self.rhs))
        return f"{lhs_sql} IN ({placeholders})", (*lhs_params, *self.rhs)


def lookups_register() -> None:
    models.Field.register_lookup(AnyOf)
    models.ForeignObject.register_lookup(AnyOf)  # foreign keys look up only what is registered from here down
