from django.urls import path

from fieldwork.console import views

app_name = "fieldwork-console"

urlpatterns = [
    path("", views.visits, name="visits"),
    path("customers/", views.customers, name="customers"),
    path("customers/<int:pk>/", views.customer, name="customer"),
    path("reports/", views.reports, name="reports"),
    path("reports/export", views.reports_export, name="reports_export"),
]
