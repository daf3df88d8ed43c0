from django.urls import path

from products import views

app_name = "products"

urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("new/", views.product_create, name="product-create"),
    path("my-access/", views.my_access, name="my-access"),
    path("access/requests/<int:pk>/", views.access_request_detail, name="access-request-detail"),
    path("access/requests/<int:pk>/approve/", views.access_request_approve, name="access-request-approve"),
    path("access/requests/<int:pk>/reject/", views.access_request_reject, name="access-request-reject"),
    path("access/requests/<int:pk>/withdraw/", views.access_request_withdraw, name="access-request-withdraw"),
    path("access/grants/<int:pk>/revoke/", views.grant_revoke, name="grant-revoke"),
    path("access/grants/<int:pk>/renew/", views.grant_renew, name="grant-renew"),
    path("<slug:domain>/<slug:slug>/", views.product_detail, name="product-detail"),
    path("<slug:domain>/<slug:slug>/edit/", views.product_edit, name="product-edit"),
    path(
        "<slug:domain>/<slug:slug>/status/<slug:to_status>/",
        views.product_transition,
        name="product-transition",
    ),
    path("<slug:domain>/<slug:slug>/ports/new/", views.port_create, name="port-create"),
    path("<slug:domain>/<slug:slug>/ports/<int:port_id>/edit/", views.port_edit, name="port-edit"),
    path("<slug:domain>/<slug:slug>/ports/<int:port_id>/delete/", views.port_delete, name="port-delete"),
    path("<slug:domain>/<slug:slug>/subscribe/", views.subscribe, name="subscribe"),
    path(
        "<slug:domain>/<slug:slug>/subscriptions/<int:subscription_id>/delete/",
        views.unsubscribe,
        name="unsubscribe",
    ),
    path("<slug:domain>/<slug:slug>/lineage/", views.lineage_add, name="lineage-add"),
    path("<slug:domain>/<slug:slug>/lineage/<int:edge_id>/delete/", views.lineage_remove, name="lineage-remove"),
    path(
        "<slug:domain>/<slug:slug>/ports/<int:port_id>/request-access/",
        views.access_request_create,
        name="access-request-create",
    ),
    path("<slug:domain>/<slug:slug>/ports/<int:port_id>/preview/", views.port_preview, name="port-preview"),
    path("<slug:domain>/<slug:slug>/ports/<int:port_id>/export.csv", views.port_export, name="port-export"),
    path("<slug:domain>/<slug:slug>/quality/", views.quality_detail, name="quality-detail"),
    path("<slug:domain>/<slug:slug>/quality/checks/new/", views.quality_check_create, name="quality-check-create"),
    path(
        "<slug:domain>/<slug:slug>/quality/checks/<int:check_id>/edit/",
        views.quality_check_edit,
        name="quality-check-edit",
    ),
    path(
        "<slug:domain>/<slug:slug>/quality/checks/<int:check_id>/delete/",
        views.quality_check_delete,
        name="quality-check-delete",
    ),
    path("<slug:domain>/<slug:slug>/quality/runs/", views.quality_run_create, name="quality-run-create"),
    path(
        "<slug:domain>/<slug:slug>/quality/runs/<int:run_id>/",
        views.quality_run_progress,
        name="quality-run-progress",
    ),
    path("<slug:domain>/<slug:slug>/quality/tokens/", views.quality_tokens, name="quality-tokens"),
    path(
        "<slug:domain>/<slug:slug>/quality/tokens/<int:token_id>/revoke/",
        views.quality_token_revoke,
        name="quality-token-revoke",
    ),
]
