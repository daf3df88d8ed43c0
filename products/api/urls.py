from products.api import views


def register_routes(router) -> None:
    router.register("domains", views.DomainViewSet, basename="domain")
    router.register("teams", views.TeamViewSet, basename="team")
    router.register("products", views.DataProductViewSet, basename="product")
    router.register("ports", views.OutputPortViewSet, basename="port")
    router.register("subscriptions", views.SubscriptionViewSet, basename="subscription")
    router.register("lineage", views.LineageEdgeViewSet, basename="lineage")
    router.register("access-requests", views.AccessRequestViewSet, basename="access-request")
    router.register("access-grants", views.AccessGrantViewSet, basename="access-grant")
    router.register("clearances", views.ClearanceViewSet, basename="clearance")
    router.register("quality-checks", views.QualityCheckViewSet, basename="quality-check")
    router.register("quality-incidents", views.IncidentViewSet, basename="quality-incident")
    router.register("quality-runs", views.CheckRunViewSet, basename="quality-run")
    router.register(
        r"products/(?P<product_pk>[0-9]+)/quality-results", views.QualityResultPushViewSet, basename="quality-results"
    )
