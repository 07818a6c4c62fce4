"""An enterprise's host: its web console and its employees' mobile API."""
from django.urls import include, path
from django.views.generic import RedirectView

from config.urls_common import urlpatterns as common_urlpatterns

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="console:dashboard", permanent=False)),
    path("console/", include("accounts.console.urls")),
    path("api/v1/", include("accounts.api.urls")),
    *common_urlpatterns,
]
