from django.urls import include, path

from governance import views

app_name = "governance"

urlpatterns = [
    path("", views.council_detail, name="council-detail"),
    path("seats/<int:pk>/assign/", views.seat_assign, name="seat-assign"),
    path("seats/<int:pk>/vacate/", views.seat_vacate, name="seat-vacate"),
    path("seats/<int:pk>/delegate/", views.seat_delegate, name="seat-delegate"),
    path("seats/<int:pk>/delegate/end/", views.seat_delegation_end, name="seat-delegation-end"),
    path("proposals/", views.proposal_list, name="proposal-list"),
    path("proposals/new/", views.proposal_create, name="proposal-create"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal-detail"),
    path("proposals/<int:pk>/edit/", views.proposal_edit, name="proposal-edit"),
    path("proposals/<int:pk>/open/", views.proposal_open, name="proposal-open"),
    path("proposals/<int:pk>/close/", views.proposal_close, name="proposal-close"),
    path("proposals/<int:pk>/withdraw/", views.proposal_withdraw, name="proposal-withdraw"),
    path("proposals/<int:pk>/vote/", views.proposal_vote, name="proposal-vote"),
    path("proposals/<int:pk>/comment/", views.proposal_comment, name="proposal-comment"),
    path("standards/", views.standard_list, name="standard-list"),
    path("standards/<str:code>/", views.standard_detail, name="standard-detail"),
    path("councils/<int:council_pk>/decisions.csv", views.decision_log_csv, name="decision-log-csv"),
    path("councils/<int:council_pk>/decisions.json", views.decision_log_json, name="decision-log-json"),
    # Enforcement's pages keep the ``governance:`` namespace (no namespace of their own).
    path("", include("governance.enforcement.urls")),
]
