from django.urls import path

from accounts.console import views

# The "console" namespace is composed in config.urls_tenant: these pages, plus the dashboard
# (orgdata.console.views.dashboard: it shows the organisation's counts, and accounts sits below orgdata).
urlpatterns = [
    path("login/", views.ConsoleLoginView.as_view(), name="login"),
    path("logout/", views.ConsoleLogoutView.as_view(), name="logout"),
    path("password/", views.password_change, name="password-change"),
    path("cookies/", views.cookies, name="cookies"),  # X8
]
