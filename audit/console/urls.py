from django.urls import path

from audit.console import views

app_name = "audit-console"

urlpatterns = [
    path("", views.audit_log, name="log"),
]
