from django.apps import AppConfig


class ProductsConfig(AppConfig):
    name = "products"
    verbose_name = "Data products"

    def ready(self) -> None:
        from products import signals  # noqa: F401
        from products.api import schema  # noqa: F401 - registers the OpenAPI extension
