from django.urls import path

from products.access import views

# Included by products/urls.py: these pages live in the ``products:`` namespace.
urlpatterns = [
    path("my-access/", views.my_access, name="my-access"),
    path("access/requests/<int:pk>/", views.access_request_detail, name="access-request-detail"),
    path("access/requests/<int:pk>/approve/", views.access_request_approve, name="access-request-approve"),
    path("access/requests/<int:pk>/reject/", views.access_request_reject, name="access-request-reject"),
    path("access/requests/<int:pk>/withdraw/", views.access_request_withdraw, name="access-request-withdraw"),
    path("access/clearances/", views.clearance_list, name="clearance-list"),
    path("access/clearances/<int:pk>/revoke/", views.clearance_revoke, name="clearance-revoke"),
    path("access/grants/<int:pk>/revoke/", views.grant_revoke, name="grant-revoke"),
    path("access/grants/<int:pk>/renew/", views.grant_renew, name="grant-renew"),
    path("access/grants/<int:pk>/upgrade/", views.grant_upgrade, name="grant-upgrade"),
    path(
        "<slug:domain>/<slug:slug>/ports/<int:port_id>/request-access/",
        views.access_request_create,
        name="access-request-create",
    ),
    path("<slug:domain>/<slug:slug>/ports/<int:port_id>/preview/", views.port_preview, name="port-preview"),
    path("<slug:domain>/<slug:slug>/ports/<int:port_id>/export.csv", views.port_export, name="port-export"),
]
