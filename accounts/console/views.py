from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import services
from accounts.console.forms import ConsoleLoginForm, PasswordChangeForm
from accounts.permissions import console_login_required_for_password_change
from core.errors import try_service


class ConsoleLoginView(auth_views.LoginView):
    template_name = "console/login.html"
    authentication_form = ConsoleLoginForm
    redirect_authenticated_user = True


class ConsoleLogoutView(auth_views.LogoutView):
    next_page = "console:login"


@console_login_required_for_password_change
@require_http_methods(["GET", "POST"])
def password_change(request):
    """Change my password; where console_login_required sends a person whose password was reset (E5)."""
    form = PasswordChangeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if try_service(form, lambda: services.change_password(
                person=request.user, old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"])):
            # A new password changes the session's auth hash; keep this session signed in.
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password was changed."))
            return redirect("console:dashboard")
    return render(request, "accounts/password_change.html",
                  {"form": form, "is_forced": request.user.must_change_password})


# Account security, like signing in and out: reachable while C8 waits for the policy to be
# accepted, or a person who owes both would be sent back and forth between the two pages.
password_change.policy_acceptance_exempt = True
