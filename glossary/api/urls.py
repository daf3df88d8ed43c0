from glossary.api import views


def register_routes(router) -> None:
    """Register this app's API viewsets on the shared /api/v1/ router."""
    router.register("glossary/terms", views.TermViewSet, basename="glossary-term")
    router.register("glossary/relations", views.TermRelationViewSet, basename="glossary-relation")
    router.register("glossary/links", views.TermLinkViewSet, basename="glossary-link")
    router.register("glossary/stewards", views.StewardViewSet, basename="glossary-steward")
    router.register("glossary/conflicts", views.ConflictFindingViewSet, basename="glossary-conflict")
