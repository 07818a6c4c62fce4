"""E1: an enterprise registers itself (platform host only)."""
from django.urls import path

from tenants.api.views import RegistrationCodeView, RegistrationView

urlpatterns = [
    path("code", RegistrationCodeView.as_view(), name="api-registration-code"),
    path("", RegistrationView.as_view(), name="api-registration"),
]
