from importlib import import_module

from django.apps import AppConfig


class ProductsConfig(AppConfig):
    """The catalog, with its access and quality packages: one app, one set of tables and migrations.

    The packages keep their models, admin and receivers in their own modules; this is where they are plugged in.
    """

    name = "products"
    verbose_name = "Data products"
    packages = ("products.access", "products.quality", "products.contracts")

    def import_models(self) -> None:
        super().import_models()
        for package in self.packages:  # models of the packages belong to this app (label ``products``)
            import_module(f"{package}.models")

    def ready(self) -> None:
        from products import signals  # noqa: F401
        from products.contracts import receivers  # noqa: F401
        from products.quality.api import schema  # noqa: F401 - registers the ingest tokens' OpenAPI extension

        # isort: split
        # After contracts' receivers: consumers (grantees among them) hear of a retirement before their grants end.
        from products.access import receivers as access_receivers  # noqa: F401

        for package in self.packages:
            import_module(f"{package}.admin")

        from django.db.models.signals import post_migrate

        from products.permissions import permission_ids_reload

        # Connected after auth's ``create_permissions`` (its app is set up first), so it reads the ids it just made.
        post_migrate.connect(permission_ids_reload, dispatch_uid="products.permission_ids_reload")
