from django.urls import path

from attendance.console import views

app_name = "attendance-console"

urlpatterns = [
    path("", views.attendance_settings, name="settings"),
    path("records/", views.attendance_records, name="records"),
]
