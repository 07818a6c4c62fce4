"""accounts' adapters to the capability catalogue (access.capabilities decides who may use which
interface): the mobile API's DRF permissions and the console's view decorators."""
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from rest_framework.permissions import BasePermission

from access.capabilities import Capability, may, require


class IsEnterpriseMember(BasePermission):
    """An active account of the enterprise whose host served the request."""

    def has_permission(self, request, view):
        return may(request.user, Capability.USE_MOBILE_API)


class ApplicationSwitchedOn(BasePermission):
    """E6: the view's application (`application`, its code in the application catalogue) is switched
    on for the caller; otherwise 403 `application_not_authorised` with the view's
    `application_refusal`. The one check for every endpoint that belongs to an application."""

    def has_permission(self, request, view):
        require(request.user, Capability.USE_APPLICATION, target=view.application,
                refusal=str(view.application_refusal))
        return True


def must_change_password_first(user) -> bool:
    """E5: an administrator reset this account's password; it must be replaced before anything else."""
    return bool(user and user.is_authenticated and user.must_change_password)


def _console_access(view, *, enforces_password_change: bool):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not may(request.user, Capability.USE_CONSOLE):
            raise PermissionDenied
        if enforces_password_change and must_change_password_first(request.user):
            return redirect("console:password-change")
        return view(request, *args, **kwargs)

    return wrapper


def console_login_required(view):
    """Console pages: signed in as an administrator of this enterprise, else to the login page.

    E5: an administrator whose password was reset is sent to change it first, whatever the page.
    """
    return _console_access(view, enforces_password_change=True)


def console_login_required_for_password_change(view):
    """The console's password change page only: reachable while a change is still required."""
    return _console_access(view, enforces_password_change=False)


class CapabilityRecordAdmin:
    """The Django admin's adapter, for a record platform staff keep: who sees it
    (`view_capability`) and who records one through the form (`add_capability`; None: nobody, it is
    made elsewhere). Never changed or deleted through the admin: each row is the record that
    something happened (a decision is taken through the page's own buttons, i.e. a service)."""

    view_capability = Capability.USE_ADMIN_SITE
    add_capability = None

    def has_module_permission(self, request):
        return may(request.user, self.view_capability)

    def has_view_permission(self, request, obj=None):
        return may(request.user, self.view_capability)

    def has_add_permission(self, request):
        return self.add_capability is not None and may(request.user, self.add_capability)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
