from products.access.api import views


def register_routes(router) -> None:
    router.register("access-requests", views.AccessRequestViewSet, basename="access-request")
    router.register("access-grants", views.AccessGrantViewSet, basename="access-grant")
    router.register("clearances", views.ClearanceViewSet, basename="clearance")
    router.register("ports", views.PortDataViewSet, basename="port-data")
