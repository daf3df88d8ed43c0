from django.urls import path

from glossary import views

app_name = "glossary"

urlpatterns = [
    path("", views.term_list, name="term-list"),
    path("new/", views.term_create, name="term-create"),
    path("review/", views.review_queue, name="review-queue"),
    path("stewards/", views.steward_list, name="steward-list"),
    path("stewards/appoint/", views.steward_appoint, name="steward-appoint"),
    path("stewards/<int:pk>/remove/", views.steward_remove, name="steward-remove"),
    path("conflicts/", views.conflict_list, name="conflict-list"),
    path("import/", views.term_import, name="term-import"),
    path("export.csv", views.term_export, name="term-export"),
    path("terms/<int:pk>/", views.term_detail, name="term-detail"),
    path("terms/<int:pk>/edit/", views.term_edit, name="term-edit"),
    path("terms/<int:pk>/status/<slug:action>/", views.term_transition, name="term-transition"),
    path(
        "terms/<int:pk>/revisions/<int:revision_id>/<slug:decision>/",
        views.revision_decide,
        name="revision-decide",
    ),
    path("terms/<int:pk>/escalate/", views.term_escalate, name="term-escalate"),
    path("terms/<int:pk>/relations/", views.relation_add, name="relation-add"),
    path("terms/<int:pk>/relations/<int:relation_id>/delete/", views.relation_remove, name="relation-remove"),
    path("terms/<int:pk>/link/", views.term_link_field, name="term-link-field"),
    path("link/<slug:domain>/<slug:slug>/", views.product_link, name="product-link"),
    path("links/<int:link_id>/delete/", views.link_remove, name="link-remove"),
]
