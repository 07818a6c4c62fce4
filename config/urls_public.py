"""The platform host: Django admin for support staff, the enterprise lookup for mobile apps, and the
public announcements of security incidents (X5)."""
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from config.urls_common import urlpatterns as common_urlpatterns
from incidents.views import announcements

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/", admin.site.urls),
    path("incidents/", announcements, name="incident-announcements"),
    path("api/v1/enterprises/", include("tenants.api.urls")),
    path("api/v1/registrations/", include("tenants.api.registration_urls")),  # E1
    path("", include("tenants.console.urls")),  # E1: /register/
    path("api/v1/", include("tenants.api.status_urls")),
    *common_urlpatterns,
]

# Error pages: JSON on API paths, the console's layout with a way out elsewhere (core.errors).
handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"
