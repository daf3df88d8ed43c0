"""The PostgreSQL search vector moves out of the product row into ``ProductSearchVector`` (with its GIN index), so
the catalog, the API lists and the product page read narrower rows; the vectors already computed move with it."""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models


def move_vectors_out(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite searches its FTS5 table; the column held nothing there
    schema_editor.execute(
        "INSERT INTO products_productsearchvector (product_id, vector) "
        "SELECT id, search_vector FROM products_dataproduct WHERE search_vector IS NOT NULL"
    )
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS product_search_vector_gin ON products_productsearchvector USING gin (vector)"
    )


def move_vectors_back(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "UPDATE products_dataproduct AS p SET search_vector = s.vector "
        "FROM products_productsearchvector AS s WHERE s.product_id = p.id"
    )
    schema_editor.execute("DROP INDEX IF EXISTS product_search_vector_gin")


class Migration(migrations.Migration):
    dependencies = [("products", "0021_drift_chunk_leases")]

    operations = [
        migrations.CreateModel(
            name="ProductSearchVector",
            fields=[
                (
                    "product",
                    models.OneToOneField(
                        editable=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_vector",
                        serialize=False,
                        to="products.dataproduct",
                    ),
                ),
                ("vector", django.contrib.postgres.search.SearchVectorField(editable=False, null=True)),
            ],
        ),
        migrations.RunPython(move_vectors_out, move_vectors_back),
        # Dropping the column drops its GIN index (product_search_gin) with it.
        migrations.RemoveField(model_name="dataproduct", name="search_vector"),
    ]
