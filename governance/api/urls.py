from governance.api import views
from governance.enforcement.api.urls import register_routes as enforcement_routes


def register_routes(router) -> None:
    """Register this app's API viewsets (enforcement's included) on the shared /api/v1/ router."""
    router.register("councils", views.CouncilViewSet, basename="council")
    router.register("seats", views.SeatViewSet, basename="seat")
    router.register("proposals", views.ProposalViewSet, basename="proposal")
    router.register("votes", views.VoteViewSet, basename="vote")
    router.register("standards", views.StandardViewSet, basename="standard")
    enforcement_routes(router)
