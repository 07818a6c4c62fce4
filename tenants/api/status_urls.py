"""The service's status (E10's cessation notice), served on the platform host and every enterprise host."""
from django.urls import path

from tenants.api.views import ServiceStatusView

urlpatterns = [path("service-status", ServiceStatusView.as_view(), name="api-service-status")]
