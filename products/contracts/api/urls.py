from products.contracts.api import views


def register_routes(router) -> None:
    router.register("schema-versions", views.SchemaVersionViewSet, basename="schema-version")
    router.register("declassifications", views.DeclassificationViewSet, basename="declassification")
