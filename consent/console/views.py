"""Console pages of consent: coverage per purpose, policy notices, the blocking re-acceptance
notice, and one employee's answers recorded by an administrator at the person's request."""
from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from access.capabilities import Capability, require
from access.errors import NotInYourScope
from accounts.models import User
from accounts.permissions import console_login_required
from consent import selectors, state_cache
from consent.catalogue import PI_TYPES
from consent.console import forms
from consent.models import ConsentEvent, Recipient
from consent.services import board as board_services
from consent.services import deletion_notices as deletion_notice_services
from consent.services import guardians as guardian_services
from consent.services import ledger as ledger_services
from consent.services import recipients as recipient_services
from consent.services import sharing as sharing_services
from core.errors import try_service
from policies import selectors as policy_selectors


def _console_answer_context(request) -> dict:
    return {"channel": ConsentEvent.Channel.CONSOLE, "device_id": "",
            "ip_address": request.META.get("REMOTE_ADDR") or None}


@console_login_required
def privacy_overview(request):
    """Consent coverage per purpose (counts only, never who refused; small cells suppressed, S3)
    and policy notices."""
    require(request.user, Capability.SEE_CONSENT_PAGES)
    context = {
        "coverage": selectors.consent_coverage(),
        "current": policy_selectors.current_version(),
        "upcoming": policy_selectors.upcoming_versions(),
        "language": get_language() or "en",
    }
    return render(request, "consent/privacy.html", context)


@console_login_required
@require_http_methods(["GET", "POST"])
def policy_notice(request):
    """C8: the blocking notice — a significant change in force that this person has not accepted —
    or, without one, the version reducing their rights that waits for their explicit acceptance
    (not blocking: until they accept, the earlier terms apply to them)."""
    _catalogue, state = state_cache.catalogue_and_state(request.user.pk)
    required = policy_selectors.version_requiring_acceptance()
    is_blocking = required is not None and not policy_selectors.satisfies(state["policies"], required)
    if not is_blocking:
        required = policy_selectors.rights_reduction_to_accept(state["policies"])
    if required is None:
        return redirect("console:dashboard")
    version = policy_selectors.published_version(required.version)
    if request.method == "POST":
        ledger_services.accept_policy(actor=request.user, person=request.user, version_label=version.version,
                                      **_console_answer_context(request))
        messages.success(request, _("Thank you. You accepted privacy policy version %(version)s.")
                         % {"version": version.version})
        return redirect("console:dashboard")
    terms = policy_selectors.terms_of(state["policies"])
    return render(request, "consent/policy_notice.html", {
        "version": version, "language": get_language() or "en", "is_blocking": is_blocking,
        "terms": terms.version if terms else ""})


policy_notice.policy_acceptance_exempt = True


# --- answers recorded at the person's request ----------------------------------------------------

def _person_page(view):
    """An organisation administrator's page about one person: the catalogue decides who may open
    it (the manager: anyone; a sub-administrator: the people of their department subtrees). Outside
    the scope is 404, like the employee's own page; not an administrator is 403 (core.errors maps
    both)."""

    @console_login_required
    @wraps(view)
    def wrapper(request, pk: int, *args, **kwargs):
        require(request.user, Capability.RECORD_CONSENT_ON_REQUEST)
        person = User.objects.filter(pk=pk).first()
        if person is None:
            raise NotInYourScope()
        require(request.user, Capability.RECORD_CONSENT_ON_REQUEST, target=person)
        return view(request, person, *args, **kwargs)

    return wrapper


def _record_on_request(*, person, administrator, answer: dict) -> ConsentEvent:
    # C6: the same services as the person's own answers, so a withdrawal stops the dependent
    # processing at the person's very next request (they forget the cached state). The
    # administrator's confirmation that the person asked for it themselves (on a signed form) is the
    # person's explicit confirmation for sensitive and sharing purposes (C2, C9).
    on_request = {"actor": administrator, "person": person, "purpose_code": answer["purpose"],
                  "channel": ConsentEvent.Channel.ADMIN_ON_REQUEST, "request_reference": answer["reference"]}
    if answer["action"] == forms.AnswerOnRequestForm.GRANT:
        return ledger_services.grant_consent(explicit_confirmation=answer["confirmed"], **on_request)
    return ledger_services.withdraw_consent(**on_request)


@_person_page
@require_http_methods(["GET", "POST"])
def person_consent(request, person):
    """One employee's current answer per additional purpose — what the person sees about themselves,
    nothing more — the form recording an answer they gave outside the app (on paper), and the
    recipients told to delete their information with each notice's status (R3)."""
    language = get_language() or "en"
    rows = [{"purpose": purpose, "has_consented": has_consented}
            for purpose, has_consented in selectors.purposes_with_state_of(person) if not purpose.is_basic]
    form = forms.AnswerOnRequestForm(request.POST or None, purposes=[row["purpose"] for row in rows],
                                     language=language)
    if request.method == "POST" and form.is_valid():
        names = {row["purpose"].code: row["purpose"].name(language) for row in rows}

        def needs_first(refusal) -> str:
            # A purpose that needs another first (ConsentRequired names the `missing` codes): say which,
            # by the names this page shows.
            if "missing" not in refusal.extra:
                return refusal.detail or refusal.code
            missing = ", ".join(names.get(code, code) for code in refusal.extra["missing"])
            return _("Record consent to what this purpose needs first: %(missing)s.") % {"missing": missing}

        recorded = []
        if try_service(form, lambda: recorded.append(_record_on_request(
                person=person, administrator=request.user, answer=form.cleaned_data)), describe=needs_first):
            event, = recorded
            if event.action == ConsentEvent.Action.GRANTED:
                messages.success(request, _("Recorded: consent given at the person's request."))
            else:
                messages.success(request, _("Recorded: consent withdrawn at the person's request. "
                                            "The dependent processing stops now."))
            return redirect("consent-console:person", pk=person.pk)
    return render(request, "consent/person.html", {
        "person": person, "employee_record": getattr(person, "employee", None), "rows": rows, "form": form,
        "language": language, "deletion_notices": selectors.deletion_notices_of(person)[:100],
    })


# --- recipients' webhooks (R3) -------------------------------------------------------------------

def _recipients_page(request, *, status: int = 200, failed: Recipient | None = None, form=None,
                     new_secret: str = "", for_recipient: Recipient | None = None, partner_form=None,
                     transfer_form=None):
    language = get_language() or "en"
    rows = [{"recipient": recipient,
             "form": form if failed is not None and recipient.pk == failed.pk else forms.WebhookForm(
                 initial={"webhook_url": recipient.webhook_url}, prefix=f"r{recipient.pk}"),
             "transfer_form": transfer_form if failed is not None and recipient.pk == failed.pk and transfer_form
             else forms.TransferForm(prefix=f"t{recipient.pk}"),
             "transfers": list(recipient.transfers.all()[:5])}
            for recipient in selectors.recipients()]
    response = render(request, "consent/recipients.html", {
        "rows": rows, "language": language, "new_secret": new_secret,
        "for_recipient": for_recipient,
        "partner_form": partner_form or forms.PartnerForm(language=language, prefix="partner")}, status=status)
    # The signing secret is shown once: never kept by a browser or a proxy.
    response["Cache-Control"] = "no-store"
    return response


@console_login_required
def recipients(request):
    """R3: every recipient with where it receives deletion notices and whether a signing secret is
    set (the secret itself is never shown again)."""
    require(request.user, Capability.CONFIGURE_RECIPIENTS)
    return _recipients_page(request)


@console_login_required
@require_http_methods(["POST"])
def recipient_webhook(request, pk: int):
    """R3: set a recipient's webhook URL (the service refuses anything but https to a public host).
    A recipient that had no signing secret gets one, shown on this answer only."""
    require(request.user, Capability.CONFIGURE_RECIPIENTS)
    recipient = get_object_or_404(Recipient, pk=pk)
    form = forms.WebhookForm(request.POST, prefix=f"r{recipient.pk}")
    shown = []
    if form.is_valid() and try_service(form, lambda: shown.append(deletion_notice_services.change_webhook_url(
            actor=request.user, recipient=recipient, url=form.cleaned_data["webhook_url"]))):
        if shown[0]:
            return _recipients_page(request, new_secret=shown[0], for_recipient=recipient)
        messages.success(request, _("Webhook URL saved."))
        return redirect("consent-console:recipients")
    return _recipients_page(request, status=400, failed=recipient, form=form)


@console_login_required
@require_http_methods(["POST"])
def choose_for_board(request):
    """C11: choose a person as employee of the month; the public board (/board/) shows them only
    while they consent to it."""
    require(request.user, Capability.CHOOSE_FOR_PUBLIC_BOARD)
    raw = request.POST.get("person", "").strip()
    person = User.objects.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 12 else None
    try:
        if person is None:
            raise ValidationError({"person": [_("Choose an active person of the enterprise.")]})
        board_services.choose(actor=request.user, person=person)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("consent-console:recipients")
    messages.success(request, _("Chosen. The public board shows them only if they consent to it."))
    return redirect("consent-console:recipients")


@console_login_required
@require_http_methods(["POST"])
def register_partner(request):
    """C9/S1: register a partner: what it receives, why, and where it keeps it (outside mainland
    China it also gets the separate cross-border authorisation people give)."""
    require(request.user, Capability.SHARE_WITH_PARTNERS)
    form = forms.PartnerForm(request.POST, language=get_language() or "en", prefix="partner")
    if form.is_valid() and try_service(form, lambda: recipient_services.register_partner(
            actor=request.user, **form.cleaned_data)):
        messages.success(request, _("Recipient registered. People are asked before anything is shared with it."))
        return redirect("consent-console:recipients")
    return _recipients_page(request, status=400, partner_form=form)


@console_login_required
@require_http_methods(["POST"])
def send_to_recipient(request, pk: int):
    """C9/S1: send payroll or insurance data to a registered partner, in the background: only
    people who consented (and, abroad, authorised the cross-border transfer) are included."""
    require(request.user, Capability.SHARE_WITH_PARTNERS)
    recipient = get_object_or_404(Recipient, pk=pk)
    form = forms.TransferForm(request.POST, prefix=f"t{recipient.pk}")
    if form.is_valid() and try_service(form, lambda: sharing_services.queue_transfer(
            actor=request.user, recipient=recipient, dataset=form.cleaned_data["dataset"])):
        messages.success(request, _("The data is being sent. The summary appears here when it is done."))
        return redirect("consent-console:recipients")
    return _recipients_page(request, status=400, failed=recipient, transfer_form=form)


@console_login_required
@require_http_methods(["POST"])
def recipient_secret(request, pk: int):
    """R3: generate a new signing secret for a recipient, shown on this answer only (the old one
    stops verifying at once)."""
    require(request.user, Capability.CONFIGURE_RECIPIENTS)
    recipient = get_object_or_404(Recipient, pk=pk)
    # Bound to the stored URL, so a refusal (no URL yet) shows on its field; the service decides.
    form = forms.WebhookForm({f"r{recipient.pk}-webhook_url": recipient.webhook_url}, prefix=f"r{recipient.pk}")
    form.fields["webhook_url"].required = False
    form.is_valid()
    shown = []
    if try_service(form, lambda: shown.append(deletion_notice_services.regenerate_webhook_secret(
            actor=request.user, recipient=recipient))):
        return _recipients_page(request, new_secret=shown[0], for_recipient=recipient)
    return _recipients_page(request, status=400, failed=recipient, form=form)

# --- a guardian's consent (M1) -------------------------------------------------------------------

@console_login_required
@require_http_methods(["GET", "POST"])
def guardian_consent(request, pk: int):
    """M1: the guardian's consent to a 16- or 17-year-old's account: the one in force, the form
    recording one an administrator verified (which activates the account and closes the person's
    open minor case) and its withdrawal (which makes the account inactive again). The catalogue
    decides who may (the manager: anyone; a sub-administrator: their departments' people; outside
    the scope is 404)."""
    require(request.user, Capability.RECORD_GUARDIAN_CONSENT)
    person = User.objects.filter(pk=pk).first()
    if person is None:
        raise NotInYourScope()
    require(request.user, Capability.RECORD_GUARDIAN_CONSENT, target=person)
    language = get_language() or "en"
    withdrawing = request.method == "POST" and request.POST.get("action") == "withdraw"
    form = forms.GuardianConsentForm(request.POST if request.method == "POST" and not withdrawing else None,
                                     purposes=selectors.additional_purposes(), language=language)
    withdrawal = forms.GuardianConsentWithdrawalForm(request.POST if withdrawing else None)
    if withdrawing and withdrawal.is_valid() and try_service(
            withdrawal, lambda: guardian_services.withdraw_guardian_consent(actor=request.user, person=person)):
        messages.success(request, _("The guardian's consent is withdrawn: the account cannot be used until a new one "
                                    "is recorded."))
        return redirect("consent-console:guardian-consent", pk=person.pk)
    if form.is_bound and form.is_valid() and try_service(form, lambda: guardian_services.record_guardian_consent(
            actor=request.user, person=person, **form.guardian())):
        messages.success(request, _("The guardian's consent is recorded: the account can be used."))
        return redirect("consent-console:guardian-consent", pk=person.pk)
    return render(request, "consent/guardian_consent.html", {
        "person": person, "employee_record": getattr(person, "employee", None), "form": form,
        "withdrawal": withdrawal, "in_force": selectors.guardian_consent_of(person),
    }, status=400 if request.method == "POST" else 200)


# --- the sharing ledger and the policy versions (issue 14) ---------------------------------------

LEDGER_PAGE_SIZE = 50


def _pi_type_names(codes, language: str) -> str:
    index = 1 if language.lower().startswith("zh") else 0
    return ("、" if index else ", ").join(PI_TYPES.get(code, (code, code))[index] for code in codes)


@console_login_required
def sharing_ledger(request):
    """C9/C11/R3: what was given to which recipient, when, under which consent or legal basis, and
    the deletion notices' status — for the people the catalogue lets this administrator see
    (`see_sharing_ledger`: a sub-administrator sees their departments' people only)."""
    require(request.user, Capability.SEE_SHARING_LEDGER)
    language = get_language() or "en"
    filters = forms.LedgerFilterForm(request.GET or None, recipients=selectors.recipients(), language=language)
    is_valid = filters.is_bound and filters.is_valid()
    if filters.is_bound and not is_valid:
        disclosures, notices = selectors.disclosures_visible_to(request.user).none(), []
    else:
        narrowed = {"recipient": filters.chosen_recipient() if is_valid else None,
                    "person_id": filters.cleaned_data["person"] if is_valid else None}
        disclosures = selectors.disclosures_visible_to(
            request.user, is_public=is_valid and filters.cleaned_data["recipient"] == filters.PUBLIC, **narrowed)
        notices = selectors.deletion_notices_visible_to(request.user, **narrowed)[:100]
    page = Paginator(disclosures, LEDGER_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"disclosure": disclosure,
             "recipient": disclosure.recipient.name(language) if disclosure.recipient else None,
             "purpose": disclosure.purpose.name(language),
             "pi_types": _pi_type_names(disclosure.pi_types, language)} for disclosure in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "consent/ledger.html", {
        "filters": filters, "rows": rows, "page": page, "query": query.urlencode(), "language": language,
        "notices": [{"notice": notice, "recipient": notice.recipient.name(language)} for notice in notices],
    }, status=400 if filters.is_bound and not is_valid else 200)


@console_login_required
def policy_versions(request):
    """C8: every published version of the privacy policy with its dates, and how many of the
    people this administrator may count accepted it (S3: small counts suppressed)."""
    require(request.user, Capability.SEE_POLICY_ACCEPTANCE)
    versions = list(policy_selectors.published_versions().order_by("-effective_at", "-published_at"))
    current = policy_selectors.current_version()
    return render(request, "consent/policy_versions.html", {
        "rows": selectors.policy_acceptance(request.user, versions), "current": current,
        "language": get_language() or "en",
    })
