"""The term search index: a GIN index over the stored tsvector on PostgreSQL, an FTS5 table on SQLite."""

from django.db import migrations

FTS_CREATE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS glossary_term_fts USING fts5("
    "name, aliases, definition, examples, tokenize='porter unicode61')"
)


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("CREATE INDEX IF NOT EXISTS term_search_gin ON glossary_term USING gin (search_vector)")
    elif vendor == "sqlite":
        schema_editor.execute(FTS_CREATE)


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS term_search_gin")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS glossary_term_fts")


class Migration(migrations.Migration):
    dependencies = [("glossary", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
