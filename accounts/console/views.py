from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts import cookies as console_cookies
from accounts import invitations, services
from accounts.console.forms import ActivationForm, ConsoleLoginForm, PasswordChangeForm
from accounts.errors import InvitationUnusable
from accounts.models import Invitation
from accounts.throttling import activation_attempts_exceeded
from privacy.masking import mask_mobile
from accounts.permissions import console_login_required, console_login_required_for_password_change
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


def _cookie_page(request, *, public: bool):
    return render(request, "accounts/cookies.html", {
        "cookies": console_cookies.console_cookies(), "public": public,
        "signed_in": request.user.is_authenticated, "cleared": request.GET.get("cleared") == "1"})


@console_login_required
def cookies(request):
    """X8: the cookies the console sets (name, purpose, lifetime) and the button to delete them."""
    return _cookie_page(request, public=False)


def cookies_public(request):
    """X8: the same list for someone signed out (linked from the sign-in page), on every host."""
    return _cookie_page(request, public=True)


@require_http_methods(["POST"])
def clear_cookies(request):
    """X8: "sign out everywhere and clear cookies": signed in, every session and device token of the
    person ends (the same service as "log out everywhere"); the answer deletes every listed cookie."""
    if request.user.is_authenticated:
        services.sign_out_everywhere(person=request.user)
        logout(request)
    return console_cookies.clear_listed_cookies(redirect(f"{reverse('cookies-public')}?cleared=1"))


# Reachable whatever else waits (a policy to accept, basic details to give): deleting cookies
# and signing out are always allowed.
cookies.policy_acceptance_exempt = cookies.basic_details_exempt = True
cookies_public.policy_acceptance_exempt = cookies_public.basic_details_exempt = True
clear_cookies.policy_acceptance_exempt = clear_cookies.basic_details_exempt = True


def _activation_refused(request, *, status: int, message: str):
    return render(request, "accounts/activation_refused.html", {"message": message}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def activate(request, token: str):
    """Issue 14: a new employee opens their activation link (no sign-in) and chooses a password.
    An unknown token is a 404, a used, replaced or expired one a 410, neither saying more; every
    use of this page counts against the address (the path is unauthenticated)."""
    if activation_attempts_exceeded(request):
        return _activation_refused(request, status=429, message=_("Too many attempts. Try again in 15 minutes."))
    gone = _("This activation link is no longer valid. Ask your administrator for a new one.")
    try:
        invitation = invitations.open_invitation(token)
    except Invitation.DoesNotExist:
        return _activation_refused(request, status=404, message=_("This activation link is not valid."))
    except InvitationUnusable:
        return _activation_refused(request, status=410, message=gone)
    person = invitation.person
    form = ActivationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            invitations.activate(token=token, password=form.cleaned_data["password"])
        except (Invitation.DoesNotExist, InvitationUnusable):  # used meanwhile (another tab)
            return _activation_refused(request, status=410, message=gone)
        except ValidationError as refusal:
            for field, field_messages in refusal.message_dict.items():
                form.add_error(field if field in form.fields else None, field_messages)
        else:
            return render(request, "accounts/activated.html", {"display_name": person.display_name})
    return render(request, "accounts/activate.html", {
        "form": form, "display_name": person.display_name, "mobile_masked": mask_mobile(person.mobile)})


# Reached by someone with no account session at all.
activate.policy_acceptance_exempt = True
