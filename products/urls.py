from django.urls import include, path

from products import views

app_name = "products"

# The access and quality packages add their pages to the same namespace (``products:my-access`` …).
urlpatterns = [
    path("", views.catalog, name="catalog"),
    path("new/", views.product_create, name="product-create"),
    path("", include("products.access.urls")),
    path("", include("products.quality.urls")),
    path("", include("products.contracts.urls")),
    path("", include("products.teams.urls")),
    path("<slug:domain>/<slug:slug>/", views.product_detail, name="product-detail"),
    path("<slug:domain>/<slug:slug>/panels/<slug:panel>/", views.product_panel, name="product-panel"),
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
    path("<slug:domain>/<slug:slug>/lineage/picker/", views.lineage_picker, name="lineage-picker"),
    path("<slug:domain>/<slug:slug>/lineage/<int:edge_id>/delete/", views.lineage_remove, name="lineage-remove"),
]
