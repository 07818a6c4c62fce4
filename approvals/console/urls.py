from django.urls import path

from approvals.console import views

app_name = "approvals-console"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("requests/<int:pk>/", views.request_detail, name="request"),
    path("log/", views.approval_log, name="log"),
    path("settings/", views.approval_settings, name="settings"),
    path("settings/kinds/", views.save_kinds, name="save_kinds"),
    path("settings/department-head/", views.save_department_head, name="save_department_head"),
    path("settings/named-approvers/", views.save_named_approvers, name="save_named_approvers"),
]
