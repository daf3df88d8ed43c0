from products.quality.api import views


def register_routes(router) -> None:
    router.register("quality-checks", views.QualityCheckViewSet, basename="quality-check")
    router.register("quality-incidents", views.IncidentViewSet, basename="quality-incident")
    router.register("quality-runs", views.CheckRunViewSet, basename="quality-run")
    router.register(r"products/(?P<product_pk>[0-9]+)/sla", views.ProductSlaViewSet, basename="product-sla")
    router.register(
        r"products/(?P<product_pk>[0-9]+)/quality-results", views.QualityResultPushViewSet, basename="quality-results"
    )
