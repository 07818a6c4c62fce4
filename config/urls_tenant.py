"""An enterprise's host: its web console and its employees' mobile API."""
from django.urls import include, path
from django.views.generic import RedirectView

from accounts.console import urls as account_console_urls
from accounts.console.views import activate
from announcements.console.views import unsubscribe
from config.urls_common import urlpatterns as common_urlpatterns
from consent.public_views import employee_of_the_month
from orgdata.console.views.dashboard import dashboard
from orgdata.console.views.employees import employee_consent

# The console's own pages: sign-in and password (accounts), and the dashboard, which shows the
# organisation's counts (orgdata: accounts sits below it and does not import it).
console_patterns = [path("", dashboard, name="dashboard"), *account_console_urls.urlpatterns]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="console:dashboard", permanent=False)),
    # The consent page about one person was addressed by their employee record before; that
    # address still leads there.
    path("console/privacy/employees/<int:pk>/", employee_consent),
    # Issue 14: where an invited person activates their account (no sign-in; accounts.invitations).
    path("activate/<str:token>", activate, name="activate"),
    # C13: the one-click link of an announcement's e-mail (no sign-in; the signed token names the person).
    path("unsubscribe/<str:token>", unsubscribe, name="announcements-unsubscribe"),
    path("board/", employee_of_the_month, name="employee-of-the-month"),
    path("console/privacy/", include("consent.console.urls")),
    path("console/attendance/", include("attendance.console.urls")),
    path("console/field/", include("fieldwork.console.urls")),
    path("console/audit/", include("audit.console.urls")),
    path("console/", include((console_patterns, "console"))),
    path("console/organisation/", include("orgdata.console.urls")),
    path("console/organisation/", include("erasure.console.urls")),
    path("console/organisation/certification/", include("certification.console.urls")),
    path("console/rights/", include("rights.console.urls")),
    path("console/incidents/", include("incidents.console.urls")),
    path("console/approvals/", include("approvals.console.urls")),
    path("console/announcements/", include("announcements.console.urls")),
    path("api/v1/", include("accounts.api.urls")),
    path("api/v1/", include("orgdata.api.urls")),
    path("api/v1/", include("consent.api.urls")),
    path("api/v1/", include("attendance.api.urls")),
    path("api/v1/", include("fieldwork.api.urls")),
    path("api/v1/", include("rights.api.urls")),
    path("api/v1/", include("approvals.api.urls")),
    path("api/v1/", include("announcements.api.urls")),
    path("api/v1/", include("tenants.api.status_urls")),
    path("api/v1/", include("rights.api.download_urls")),
    *common_urlpatterns,
]

# Error pages: JSON on API paths, the console's layout with a way out elsewhere (core.errors).
handler400 = "core.errors.bad_request"
handler403 = "core.errors.permission_denied"
handler404 = "core.errors.page_not_found"
handler500 = "core.errors.server_error"
