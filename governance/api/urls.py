from governance.api import views


def register_routes(router) -> None:
    """Register this app's API viewsets on the shared /api/v1/ router."""
    router.register("councils", views.CouncilViewSet, basename="council")
    router.register("seats", views.SeatViewSet, basename="seat")
    router.register("proposals", views.ProposalViewSet, basename="proposal")
    router.register("votes", views.VoteViewSet, basename="vote")
    router.register("standards", views.StandardViewSet, basename="standard")
    router.register("violations", views.ViolationViewSet, basename="violation")
    router.register("waivers", views.WaiverViewSet, basename="waiver")
    router.register("enforcement-runs", views.EnforcementRunViewSet, basename="enforcement-run")
