"""URLs served on every host: health, API schema and docs, language switch, the cookie list (X8)."""
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.console.views import clear_cookies, cookies_public
from config.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(urlconf="config.urls_tenant"), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    # X8: the cookie list for signed-out visitors, and deleting them (sign out everywhere first).
    path("cookies/", cookies_public, name="cookies-public"),
    path("cookies/clear", clear_cookies, name="cookies-clear"),
]
