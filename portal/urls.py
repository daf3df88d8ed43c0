from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal import home, search, views
from portal.health import ReadinessView
from products.teams import oidc

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("readyz", ReadinessView.as_view(), name="readyz"),
    path("search/", search.search, name="search"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/oidc/login/", oidc.login_start, name="oidc-login"),
    path("accounts/oidc/callback/", oidc.login_callback, name="oidc_authentication_callback"),
    path("accounts/token/", views.api_token, name="api-token-page"),
    path("accounts/token/<int:pk>/revoke/", views.revoke_api_token, name="api-token-revoke"),
    path("notifications/", views.notification_inbox, name="inbox"),
    path("notifications/read/", views.notification_read, name="inbox-read"),
    path("products/", include("products.urls")),
    path("governance/", include("governance.urls")),
    path("glossary/", include("glossary.urls")),
    path("api/v1/", include("portal.api.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "portal.views.permission_denied"
handler404 = "portal.views.not_found"
handler500 = "portal.views.server_error"

admin.site.site_header = "Mesh Portal administration"
admin.site.site_title = "Mesh Portal admin"
