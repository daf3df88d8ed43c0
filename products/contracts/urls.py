from django.urls import path

from products.contracts import views

# Included by products/urls.py: these pages live in the ``products:`` namespace.
urlpatterns = [
    path("declassifications/", views.declassification_list, name="declassification-list"),
    path(
        "declassifications/<int:pk>/<str:decision>/",
        views.declassification_decide,
        name="declassification-decide",
    ),
    path("schema-versions/<int:pk>/cancel/", views.schema_change_cancel, name="schema-change-cancel"),
    path("<slug:domain>/<slug:slug>/ports/<int:port_id>/versions/", views.port_versions, name="port-versions"),
    path("<slug:domain>/<slug:slug>/ports/<int:port_id>/schedule/", views.port_schedule, name="port-schedule"),
    path("<slug:domain>/<slug:slug>/ports/<int:port_id>/successor/", views.port_successor, name="port-successor"),
    path("<slug:domain>/<slug:slug>/contract/", views.product_contract, name="product-contract"),
    path("<slug:domain>/<slug:slug>/contract/apply/", views.contract_import, name="contract-import"),
    path("<slug:domain>/<slug:slug>/contract.<str:fmt>", views.product_contract_download, name="product-contract-file"),
    path(
        "<slug:domain>/<slug:slug>/ports/<int:port_id>/contract.<str:fmt>",
        views.port_contract_download,
        name="port-contract",
    ),
    path("<slug:domain>/<slug:slug>/drift/", views.drift_check, name="drift-check"),
    path("<slug:domain>/<slug:slug>/drift/<int:run_id>/", views.drift_progress, name="drift-progress"),
    path(
        "<slug:domain>/<slug:slug>/ports/<int:port_id>/declassify/",
        views.declassification_request,
        name="declassification-request",
    ),
]
