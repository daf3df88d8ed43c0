"""Enforcement's pages, included by ``governance.urls`` under its ``governance:`` namespace."""

from django.urls import path

from governance.enforcement import views

urlpatterns = [
    path("compliance/", views.compliance_dashboard, name="compliance-dashboard"),
    path("violations/", views.violation_list, name="violation-list"),
    path("violations/<int:pk>/waiver/", views.waiver_request, name="waiver-request"),
    path("waivers/", views.waiver_list, name="waiver-list"),
    path("waivers/<int:pk>/decide/", views.waiver_decide, name="waiver-decide"),
    path("enforcement/", views.enforcement_run_list, name="enforcement-run-list"),
    path("enforcement/start/", views.enforcement_run_start, name="enforcement-run-start"),
    path("enforcement/<int:pk>/progress/", views.enforcement_run_progress, name="enforcement-run-progress"),
]
