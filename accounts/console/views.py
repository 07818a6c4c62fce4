from django.contrib.auth import views as auth_views
from django.shortcuts import render

from accounts.console.forms import ConsoleLoginForm
from accounts.permissions import console_login_required
from orgdata import selectors as org_selectors


class ConsoleLoginView(auth_views.LoginView):
    template_name = "console/login.html"
    authentication_form = ConsoleLoginForm
    redirect_authenticated_user = True


class ConsoleLogoutView(auth_views.LogoutView):
    next_page = "console:login"


@console_login_required
def dashboard(request):
    context = {"summary": org_selectors.organisation_summary()}
    return render(request, "console/dashboard.html", context)
