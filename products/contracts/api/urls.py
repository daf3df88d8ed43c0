from products.contracts.api import views


def register_routes(router) -> None:
    router.register("schema-versions", views.SchemaVersionViewSet, basename="schema-version")
    router.register("declassifications", views.DeclassificationViewSet, basename="declassification")
    router.register("contracts", views.ContractViewSet, basename="contract")
    router.register("drift-findings", views.DriftFindingViewSet, basename="drift-finding")
    router.register("drift-runs", views.DriftRunViewSet, basename="drift-run")
    router.register("port-successors", views.PortSuccessorViewSet, basename="port-successor")
