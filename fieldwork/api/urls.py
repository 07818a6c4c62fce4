from django.urls import path

from fieldwork.api import views

urlpatterns = [
    path("field/customers", views.CustomersView.as_view(), name="api-field-customers"),
    path("field/visits", views.VisitsView.as_view(), name="api-field-visits"),
    path("field/visits/<int:pk>/check-out", views.VisitCheckOutView.as_view(), name="api-field-visit-check-out"),
    path("field/visits/<int:pk>/photos", views.VisitPhotosView.as_view(), name="api-field-visit-photos"),
    path("field/reports", views.ReportsView.as_view(), name="api-field-reports"),
]
