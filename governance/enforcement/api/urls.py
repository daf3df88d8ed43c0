from governance.enforcement.api import views


def register_routes(router) -> None:
    """Register enforcement's API viewsets on the shared /api/v1/ router (called by ``governance.api.urls``)."""
    router.register("violations", views.ViolationViewSet, basename="violation")
    router.register("waivers", views.WaiverViewSet, basename="waiver")
    router.register("enforcement-runs", views.EnforcementRunViewSet, basename="enforcement-run")
