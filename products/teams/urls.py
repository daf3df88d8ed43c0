from django.urls import path

from products.teams import views

# Included by products/urls.py before the product pages: these live in the ``products:`` namespace.
urlpatterns = [
    path("teams/", views.team_list, name="team-list"),
    path("teams/<slug:slug>/", views.team_detail, name="team-detail"),
    path("teams/<slug:slug>/members/", views.member_add, name="team-member-add"),
    path("teams/<slug:slug>/members/<int:user_id>/role/", views.member_role, name="team-member-role"),
    path("teams/<slug:slug>/members/<int:user_id>/remove/", views.member_remove, name="team-member-remove"),
    path("<slug:domain>/<slug:slug>/transfer/", views.product_transfer, name="product-transfer"),
]
