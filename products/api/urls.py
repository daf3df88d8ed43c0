from products.api import views


def register_routes(router) -> None:
    router.register("domains", views.DomainViewSet, basename="domain")
    router.register("teams", views.TeamViewSet, basename="team")
    router.register("products", views.DataProductViewSet, basename="product")
    router.register("ports", views.OutputPortViewSet, basename="port")
    router.register("subscriptions", views.SubscriptionViewSet, basename="subscription")
    router.register("lineage", views.LineageEdgeViewSet, basename="lineage")
