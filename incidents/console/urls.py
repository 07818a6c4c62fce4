from django.urls import path

from incidents.console import views

app_name = "incidents-console"

urlpatterns = [
    path("", views.incidents, name="incidents"),
    path("new/", views.open_incident, name="open"),
    path("<int:pk>/", views.incident, name="incident"),
    path("<int:pk>/report.pdf", views.report, name="report"),
]
