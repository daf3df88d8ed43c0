"""The REST API under /api/v1/: one router, to which each app adds its viewsets."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from glossary.api.urls import register_routes as glossary_routes
from governance.api.urls import register_routes as governance_routes
from portal.api import docs
from portal.api.views import ApiTokenObtainView, ApiTokenViewSet, NotificationViewSet
from products.access.api.urls import register_routes as access_routes
from products.api.urls import register_routes as product_routes
from products.contracts.api.urls import register_routes as contract_routes
from products.quality.api.urls import register_routes as quality_routes

router = DefaultRouter()
router.register("notifications", NotificationViewSet, basename="notification")
router.register("tokens", ApiTokenViewSet, basename="apitoken")
product_routes(router)
access_routes(router)
quality_routes(router)
contract_routes(router)
governance_routes(router)
glossary_routes(router)

urlpatterns = [
    path("auth/token/", ApiTokenObtainView.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", docs.swagger_ui, name="api-docs"),
    path("redoc/", docs.redoc, name="api-redoc"),
    path("", include(router.urls)),
]
