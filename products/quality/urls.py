from django.urls import path

from products.quality import views

# Included by products/urls.py: these pages live in the ``products:`` namespace.
urlpatterns = [
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
