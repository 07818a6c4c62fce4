"""Issue 14: inviting a person to activate their account (accounts.invitations holds the rules):
the activation link on the enterprise's host, inviting again, sending the link by SMS."""
from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from access.capabilities import Capability, require
from accounts import invitations as account_invitations
from accounts.errors import InvitationUnusable
from accounts.invitations import IssuedInvitation
from accounts.models import Invitation
from orgdata.models import Employee
from orgdata.selectors import scope as scope_selectors
from tenants.selectors import current_enterprise, primary_host


def activation_link(token: str, *, host: str | None = None) -> str:
    """https://<the enterprise's host>/activate/<token> (`host` when given, e.g. the request's)."""
    host = host or primary_host(current_enterprise()) or ""
    return f"https://{host}{reverse('activate', args=[token])}"


def days_valid() -> int:
    """How many days a new activation link works (settings.INVITATION_TTL)."""
    return max(1, int(settings.INVITATION_TTL.total_seconds() // 86400))


@transaction.atomic
def invite_again(*, actor, employee: Employee) -> IssuedInvitation:
    """A new activation link for `employee`: every earlier one stops working. Refuses people
    outside the actor's departments (as "not found"), the actor's own account and, for a
    sub-administrator, other administrators (Capability.RESET_PASSWORD: the link sets the
    account's password), and a disabled account (ValidationError)."""
    employee = scope_selectors.employee_visible_to(actor, employee.pk)
    require(actor, Capability.RESET_PASSWORD, target=employee.account)
    return account_invitations.issue_invitation(actor=actor, person=employee.account)


def send_invitation_by_sms(*, actor, employee: Employee, token: str, host: str | None = None) -> None:
    """Send `employee` the activation link of `token` (the one just shown to the administrator) by
    SMS. Refuses what `invite_again` refuses, a token that is not the person's open invitation
    (InvitationUnusable, 410: invite again) and a provider that does not take it (SmsUnavailable)."""
    employee = scope_selectors.employee_visible_to(actor, employee.pk)
    require(actor, Capability.RESET_PASSWORD, target=employee.account)
    try:
        record = account_invitations.open_invitation(token)
    except Invitation.DoesNotExist:
        record = None
    if record is None or record.person_id != employee.account_id:
        raise InvitationUnusable(_("This invitation is no longer valid. Invite the person again."))
    account_invitations.send_invitation_sms(actor=actor, invitation=IssuedInvitation(token, record),
                                            link=activation_link(token, host=host))
