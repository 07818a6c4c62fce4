"""Console pages of announcements: send one and see what was sent; channels; the one-click page
that leaves a channel from an e-mail's link (C13, no sign-in: the signed link names the person)."""
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from access.capabilities import Capability, may, require
from accounts.permissions import console_login_required
from announcements import selectors, services
from announcements.console.forms import AnnouncementForm, ChannelForm
from announcements.models import Unsubscription
from core.errors import try_service

PAGE_SIZE = 50


def _page(request, *, form=None, channel_form=None, status=200):
    may_everyone = may(request.user, Capability.ANNOUNCE_TO_EVERYONE)
    page = Paginator(selectors.sent_announcements(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "announcements/announcements.html", {
        "form": form or AnnouncementForm(actor=request.user, may_send_to_everyone=may_everyone),
        "channel_form": channel_form or ChannelForm() if may_everyone else None,
        "page": page}, status=status)


@console_login_required
@require_http_methods(["GET", "POST"])
def announcements(request):
    """Send an announcement to departments in the sender's scope, or (the manager) to everyone."""
    require(request.user, Capability.SEND_ANNOUNCEMENTS)
    if request.method == "GET":
        return _page(request)
    form = AnnouncementForm(request.POST, actor=request.user,
                            may_send_to_everyone=may(request.user, Capability.ANNOUNCE_TO_EVERYONE))
    sent = []
    if form.is_valid() and try_service(form, lambda: sent.append(services.send_announcement(
            actor=request.user, channel=form.cleaned_data["channel"], title=form.cleaned_data["title"],
            body=form.cleaned_data["body"], departments=form.cleaned_data["departments"],
            is_for_everyone=form.cleaned_data.get("is_for_everyone", False)))):
        if sent[0].recipient_count:
            messages.success(request, _("The announcement reached %(count)s people.")
                             % {"count": sent[0].recipient_count})
        else:
            messages.success(request, _("The announcement is being delivered in the background."))
        return redirect("announcements-console:announcements")
    return _page(request, form=form, status=400)


@console_login_required
@require_POST
def create_channel(request):
    require(request.user, Capability.ANNOUNCE_TO_EVERYONE)
    form = ChannelForm(request.POST)
    if form.is_valid() and try_service(form, lambda: services.create_channel(
            actor=request.user, name=form.cleaned_data["name"], description=form.cleaned_data["description"])):
        messages.success(request, _("The channel was created."))
        return redirect("announcements-console:announcements")
    return _page(request, channel_form=form, status=400)


# C13: the e-mail's link. GET shows one button (link scanners that fetch it leave nobody); a POST,
# from that button or from the mail program's own button (RFC 8058 List-Unsubscribe-Post), leaves at
# once. No sign-in and no CSRF token: the signed token is the authority, and it names one person
# and one channel only.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    try:
        person, channel = services.person_of_unsubscribe_token(token)
    except ValidationError:
        return render(request, "announcements/unsubscribe.html", {"is_invalid": True}, status=404)
    if request.method == "POST":
        services.leave_channel(actor=person, person=person, channel=channel, via=Unsubscription.Via.EMAIL)
        return render(request, "announcements/unsubscribe.html", {"channel": channel, "is_done": True})
    return render(request, "announcements/unsubscribe.html", {"channel": channel})
