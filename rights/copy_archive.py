"""R2: the copy of a person's personal information, and of the information generated while they
used the service, as a portable archive (issue 13).

What is in it comes from the data map (privacy.registry) and the rows of each table the same way
the erasure engine finds them (erasure.person_rows): one category per table classified about a
person, so a new table about a person appears in the copy without touching this module. Each
category is a JSON file and a CSV file of the person's rows, with the values as they would read
them (decrypted: it is their own information; times ISO 8601 in the enterprise's time zone; choices
by their label; a related catalogue row by its name; their stored files beside the rows).

What is never in it: secrets (password hash, token digests, data keys, session keys, security
stamp), keyed digests used for look-ups (blind indexes, the login records' digest of the mobile
number), and anything naming another account (who recorded, decided or changed something). The
manifest lists what was left out of each category and why, next to each field's purpose,
retention and erasure as the data map declares them.
"""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import PurePosixPath
from uuid import UUID

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.throttling import login_identifier_digest
from core import tabular
from erasure import person_rows
from privacy import crypto, registry
from rights.models import RightsRequest

ARCHIVE_FORMAT = 1
ROWS_PER_FETCH = 2000

# Each table about a person is a category with a name a person can read (its files are named
# after it); a table missing here is named after its table, so nothing is ever left out.
CATEGORIES: dict[str, tuple[str, str]] = {
    "accounts_user": ("account", gettext_lazy("Your account")),
    "orgdata_employee": ("profile", gettext_lazy("Your employee profile")),
    "accounts_devicetoken": ("devices", gettext_lazy("Devices signed in to the mobile app")),
    "django_session": ("console-sessions", gettext_lazy("Web console sessions")),
    "axes_accesslog": ("sign-ins", gettext_lazy("Sign-ins and sign-outs")),
    "axes_accessfailurelog": ("failed-sign-ins", gettext_lazy("Failed sign-ins")),
    "axes_accessattempt": ("sign-in-failure-counters", gettext_lazy("Failed sign-in counters")),
    "axes_accessattemptexpiration": ("sign-in-lock-expiries", gettext_lazy("When failed sign-in counters end")),
    "audit_entry": ("audit-log", gettext_lazy("Your actions in the audit log")),
    "audit_access_log": ("access-log", gettext_lazy("Requests you made to the service")),
    "attendance_checkin": ("check-ins", gettext_lazy("Check-ins")),
    "attendance_trackingping": ("location-tracking", gettext_lazy("Location tracking")),
    "fieldwork_visit": ("customer-visits", gettext_lazy("Customer visits")),
    "fieldwork_visitphoto": ("visit-photos", gettext_lazy("Photos of your customer visits")),
    "fieldwork_report": ("reports", gettext_lazy("Your daily and weekly reports")),
    "fieldwork_reportattachment": ("report-files", gettext_lazy("Files attached to your reports")),
    "attendance_faceenrolment": ("face-enrolment", gettext_lazy("Your enrolled face (facial check-in)")),
    "consent_consentevent": ("consents", gettext_lazy("Your consent answers")),
    "consent_legalbasisrecord": ("legal-bases", gettext_lazy("Processing under a legal basis other than consent")),
    "consent_disclosure": ("disclosures", gettext_lazy("Disclosures of your information to others")),
    "consent_deletionnotice": ("deletion-notices", gettext_lazy("Recipients told to delete your information")),
    "consent_applicationaudience": ("applications-for-you", gettext_lazy("Applications switched on for you")),
    "consent_boardentry": ("employee-of-the-month", gettext_lazy("Months you were chosen as employee of the month")),
    "orgdata_applicationswitch": ("application-switches", gettext_lazy("Applications switched on or off for you")),
    "orgdata_departmentadministratorpermission": ("administered-departments",
                                                  gettext_lazy("Departments you administer")),
    "accounts_user_groups": ("groups", gettext_lazy("Your permission groups")),
    "accounts_user_user_permissions": ("permissions", gettext_lazy("Your own permissions")),
    "guardian_userobjectpermission": ("record-permissions", gettext_lazy("Your permissions on single records")),
    "rights_rightsrequest": ("rights-requests", gettext_lazy("Your requests about your information")),
    "rights_requestevent": ("rights-request-history", gettext_lazy("The history of your requests")),
    "rights_inboxmessage": ("inbox", gettext_lazy("Your inbox")),
    "rights_predeatharrangement": ("pre-death-arrangement", gettext_lazy("Your pre-death arrangement")),
    "rights_protectioncontact": ("protection-contact", gettext_lazy("Your appointment as the personal information protection contact")),
    "accounts_knowndevice": ("known-devices", gettext_lazy("Devices you signed in from after verifying your number")),
    "accounts_verificationcode": ("verification-codes", gettext_lazy("One-time codes sent to you (never the code)")),
    "accounts_invitation": ("invitations", gettext_lazy("Activation links made for your account (never the link)")),
    "accounts_smsoutboxmessage": ("text-messages", gettext_lazy("Text messages sent to you")),
    "consent_guardianconsent": ("guardian-consent", gettext_lazy("Your guardian's consent (while you are under 18)")),
    "erasure_minorcase": ("minor-cases", gettext_lazy("Checks of whether you are a minor (M2)")),
    "incidents_affectedperson": ("security-incidents", gettext_lazy("Security incidents that affected you (X5)")),
    "incidents_delivery": ("security-incident-notices", gettext_lazy("How you were told of security incidents")),
    "approvals_approvalrequest": ("approval-requests", gettext_lazy("Your approval requests")),
    "approvals_approvalstep": ("approval-decisions", gettext_lazy("Decisions on your approval requests")),
    "approvals_departmenthead": ("departments-headed", gettext_lazy("Departments you head as their first approver")),
    "approvals_namedapprover": ("named-approver", gettext_lazy("Kinds of request you approve")),
    "announcements_delivery": ("announcements", gettext_lazy("Announcements sent to you and when you read them")),
    "announcements_unsubscription": ("channels-left", gettext_lazy("Announcement channels you left")),
    "announcements_personalisationchoice": ("personalisation",
                                            gettext_lazy("Your choice about ordering by your department (C13)")),
    "announcements_pushoutboxmessage": ("push-notifications", gettext_lazy("Push notifications kept by the outbox")),
}

# R2 "information generated in use": sign-ins, check-ins and customer visits, consent answers,
# disclosures, devices.
GENERATED_IN_USE = frozenset({
    "axes_accesslog", "axes_accessfailurelog", "axes_accessattempt", "audit_entry",
    "attendance_checkin", "fieldwork_visit", "consent_consentevent", "consent_disclosure", "accounts_devicetoken",
})
# Of the audit log, only the sign-ins belong to the information generated in use.
SIGN_IN_ACTIONS = ("login", "logout")

# Whole tables never copied: what they hold about the person is a secret protecting the rest.
LEFT_OUT_TABLES = {
    "privacy_personkey": gettext_lazy("your data key: a secret that protects your encrypted information"),
}

_SECRET = gettext_lazy("a secret")
_KEYED_DIGEST = gettext_lazy("a keyed digest used for look-ups, not readable")
_CHAIN_LINK = gettext_lazy("a link of the tamper-evident chain, not information about you")
# Columns never copied, table by table, with why.
LEFT_OUT_COLUMNS: dict[str, dict[str, object]] = {
    "accounts_user": {"password": _SECRET, "security_stamp": _SECRET},
    "accounts_devicetoken": {"digest": _SECRET},
    "django_session": {"session_key": _SECRET, "session_data": _SECRET},
    "axes_accesslog": {"username": _KEYED_DIGEST, "session_hash": _SECRET},
    "axes_accessfailurelog": {"username": _KEYED_DIGEST},
    "axes_accessattempt": {"username": _KEYED_DIGEST, "get_data": _SECRET, "post_data": _SECRET},
    "audit_entry": {"object_id": gettext_lazy("names the record acted on, which may be another person's"),
                    "hash": _CHAIN_LINK, "prev_hash": _CHAIN_LINK},
    "consent_consentevent": {"digest": _CHAIN_LINK, "previous_digest": _CHAIN_LINK},
    "rights_rightsrequest": {"result_file": gettext_lazy("the stored answer of a request (a copy like this one)")},
    "rights_requestevent": {"actor_label": gettext_lazy("names whoever took the step, who may be another person")},
    "accounts_knowndevice": {"device_digest": _KEYED_DIGEST},
    "accounts_verificationcode": {"code_digest": _SECRET, "context_digest": _KEYED_DIGEST,
                                  "mobile_index": _KEYED_DIGEST},
    "accounts_invitation": {"token_digest": _SECRET},
    "accounts_smsoutboxmessage": {"body": gettext_lazy("the text may hold a one-time code, a secret")},
}
_ANOTHER_ACCOUNT = gettext_lazy("names an account, which may be another person's")
_DATA_KEY = gettext_lazy("which data key encrypts the row")


@dataclass
class _Column:
    field: models.Field
    personal: registry.PI | None
    not_personal_reason: str = ""

    @property
    def name(self) -> str:
        return self.field.name


@dataclass
class _Category:
    declaration: registry.Declaration
    name: str
    title: str
    columns: list[_Column]
    left_out: dict[str, str]
    rows: list[dict] = field(default_factory=list)
    files: list[tuple[str, str]] = field(default_factory=list)  # (stored name, name in the archive)


def build_copy_archive(*, person, generated_only: bool = False) -> bytes:
    """A ZIP of `person`'s personal information: per category a JSON and a CSV file, their stored
    files, a manifest.json and a README.txt. `generated_only` (R2): only the information generated
    while they used the service (sign-ins, check-ins, consent answers, disclosures, devices).

    Reads only; never includes another person's rows, or secrets (see LEFT_OUT_*).
    """
    generated_at = timezone.now()
    digests = _login_digests(person)
    categories = []
    for declaration in person_rows.tables_about_a_person():
        if declaration.table in LEFT_OUT_TABLES:
            continue
        if generated_only and declaration.table not in GENERATED_IN_USE:
            continue
        category = category_of(declaration)
        rows = person_rows.rows_of(declaration, person, digests)
        if generated_only and declaration.table == "audit_entry":
            rows = rows.filter(action__in=SIGN_IN_ACTIONS)
        _read_rows(category, rows)
        categories.append(category)

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for category in categories:
            _write_category(archive, category)
        manifest = _manifest(person, categories, generated_only, generated_at)
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        archive.writestr("README.txt", _readme(manifest))
    return buffer.getvalue()


def fulfil(*, request: RightsRequest) -> None:
    """Build the archive a copy request asks for (kind COPY, GENERATED for R2's information
    generated in use, or a relative's NEXT_OF_KIN access or copy, R7: the deceased's full copy),
    store it as the request's result, sealed under the person's own data key (replacing an earlier
    one), and set when it expires (settings.RIGHTS_RESULT_DAYS from now). Saves those two fields
    only: the caller (the request workflow's task) records status, history and messages.

    Refuses (ValueError) a request of another kind or action, and (KeyDestroyed) a person already
    crypto-shredded.
    """
    generated_only = _is_generated_only(request)
    archive = build_copy_archive(person=request.person, generated_only=generated_only)
    # The file is sealed under the person's own key: their erasure destroys it, and with it every
    # leftover copy of this file (in storage or in a backup); it is opened only when streamed.
    sealed = crypto.encrypt_bytes(archive, key_id=request.person.person_key_id, context=_file_context(request))
    earlier = request.result_file.name
    # upload_to names the stored path (random, per enterprise schema); this name is only its suffix.
    request.result_file.save("copy.zip", ContentFile(sealed), save=False)
    request.result_expires_at = timezone.now() + timedelta(days=settings.RIGHTS_RESULT_DAYS)
    try:
        request.save(update_fields=["result_file", "result_expires_at"])
    except BaseException:
        # No stored copy of someone's information that no row names.
        default_storage.delete(request.result_file.name)
        raise
    if earlier and earlier != request.result_file.name:
        default_storage.delete(earlier)


def read_result(request: RightsRequest) -> bytes:
    """The request's stored archive, opened (the ZIP). Raises FileNotFoundError when the file is
    gone, and KeyDestroyed or UnreadableValue when it cannot be opened (the person was erased, or
    the file is not this request's)."""
    with default_storage.open(request.result_file.name, "rb") as stored:
        sealed = stored.read()
    return crypto.decrypt_bytes(sealed, context=_file_context(request))


def _file_context(request: RightsRequest) -> str:
    return f"rights.result:{request.pk}:{request.person_id}"


def _is_generated_only(request: RightsRequest) -> bool:
    if request.kind in (RightsRequest.Kind.COPY, RightsRequest.Kind.GENERATED):
        return request.kind == RightsRequest.Kind.GENERATED
    if request.kind == RightsRequest.Kind.NEXT_OF_KIN and (request.details or {}).get("action") in ("access", "copy"):
        return False
    raise ValueError(f"rights request {request.pk} is not a copy request ({request.kind})")


# --- which columns, which rows --------------------------------------------------------------------

def _login_digests(person) -> dict[str, list[str]]:
    # The login records name the person by a keyed digest of the number typed (failures,
    # accounts.throttling) or by the account's blind index of it (axes records a successful sign-in
    # under the account's USERNAME_FIELD); person_rows compares SHA-256 of either.
    names = [login_identifier_digest(person.mobile) if person.mobile else "", person.mobile_index or ""]
    return {"login": [person_rows.digest(name) for name in names if name]}


def category_of(declaration: registry.Declaration) -> _Category:
    """The category a table about a person becomes: its name, title, the columns copied and those
    left out (with why). Rows are read by build_copy_archive."""
    name, title = CATEGORIES.get(declaration.table, (declaration.table.replace("_", "-"), declaration.title))
    # The link to the person themselves (every row of the file is theirs); a longer path starts at
    # one of their own rows (a request's history names the request), which stays.
    subject_head = declaration.subject if declaration.subject and "." not in declaration.subject else ""
    left_out_here = LEFT_OUT_COLUMNS.get(declaration.table, {})
    columns, left_out = [], {}
    for model_field in declaration.model._meta.concrete_fields:
        name_ = model_field.name
        if name_ == subject_head:
            continue
        reason = left_out_here.get(name_) or _left_out_by_kind(declaration, model_field)
        if reason:
            left_out[name_] = str(reason)
            continue
        columns.append(_Column(model_field, declaration.fields.get(name_), declaration.not_personal.get(name_, "")))
    return _Category(declaration, name, str(title or declaration.table), columns, left_out)


def _left_out_by_kind(declaration: registry.Declaration, model_field: models.Field):
    kind = type(model_field).__name__
    if kind == "PersonKeyField":
        return _DATA_KEY
    if kind == "BlindIndexField":
        return _KEYED_DIGEST
    if model_field.name in declaration.actor_links:
        return _ANOTHER_ACCOUNT
    if model_field.is_relation and model_field.related_model._meta.label == settings.AUTH_USER_MODEL:
        return _ANOTHER_ACCOUNT
    return None


def _read_rows(category: _Category, rows: models.QuerySet) -> None:
    """Fetch the category's rows as plain values (decrypted by their fields), in batches."""
    fields = [column.field for column in category.columns]
    raw = list(rows.order_by("pk").values_list(*[f.attname for f in fields]).iterator(chunk_size=ROWS_PER_FETCH))
    names = {position: _names_of_related(f, {values[position] for values in raw} - {None})
             for position, f in enumerate(fields) if f.is_relation}
    for values in raw:
        row = {}
        for position, (model_field, value) in enumerate(zip(fields, values)):
            if position in names and value is not None:
                value = names[position].get(value, value)
            elif isinstance(model_field, models.FileField):
                value = _file_in_archive(category, model_field, value)
            elif model_field.choices and value not in (None, ""):
                value = str(dict(model_field.flatchoices).get(value, value))
            row[model_field.name] = _readable(value)
        category.rows.append(row)


def _names_of_related(model_field: models.Field, ids: set) -> dict:
    """A catalogue row (department, purpose, recipient, group...) by its name; one of the person's
    own rows in another category stays its id. One query per related table."""
    target = model_field.related_model
    if not ids or target._meta.label in _labels_about_a_person():
        return {}
    return {key: str(obj) for key, obj in
            target._base_manager.in_bulk(ids, field_name=model_field.target_field.attname).items()}


def _labels_about_a_person() -> set[str]:
    return {declaration.model_label for declaration in registry.table_declarations()
            if declaration.kind == registry.TableKind.ABOUT_PERSON and declaration.model_label}


def _file_in_archive(category: _Category, model_field: models.Field, stored_name: str) -> str:
    if not stored_name:
        return ""
    inside = f"files/{category.name}/{model_field.name}-{len(category.files) + 1}{PurePosixPath(stored_name).suffix}"
    category.files.append((stored_name, inside))
    return inside


def _readable(value):
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [_readable(item) for item in value]
    return value


# --- writing --------------------------------------------------------------------------------------

def _write_category(archive: zipfile.ZipFile, category: _Category) -> None:
    archive.writestr(f"{category.name}.json", json.dumps(category.rows, ensure_ascii=False, indent=1))
    names = [column.name for column in category.columns]
    # Formula-safe, with a BOM for spreadsheet programs, as the address-book export writes it.
    archive.writestr(f"{category.name}.csv", tabular.write_csv(
        names, ([_csv_cell(row[name]) for name in names] for row in category.rows)))
    for stored_name, inside in category.files:
        if default_storage.exists(stored_name):
            with default_storage.open(stored_name, "rb") as stored:
                archive.writestr(inside, stored.read())


def _csv_cell(value):
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _manifest(person, categories: list[_Category], generated_only: bool, generated_at: datetime) -> dict:
    return {
        "format": ARCHIVE_FORMAT,
        "kind": RightsRequest.Kind.GENERATED.value if generated_only else RightsRequest.Kind.COPY.value,
        "generated_at": timezone.localtime(generated_at).isoformat(),
        "account": person.pk,
        "categories": [{
            "name": category.name,
            "title": category.title,
            "files": [f"{category.name}.json", f"{category.name}.csv"],
            "rows": len(category.rows),
            "fields": [_field_entry(column) for column in category.columns],
            "left_out": category.left_out,
        } for category in categories],
        "left_out_categories": {} if generated_only else {
            table: str(reason) for table, reason in LEFT_OUT_TABLES.items()},
    }


def _field_entry(column: _Column) -> dict:
    entry = {"name": column.name, "label": str(column.field.verbose_name), "personal": column.personal is not None}
    rule = column.personal
    if rule is None:
        if column.not_personal_reason:
            entry["about"] = column.not_personal_reason
        return entry
    months = None
    if rule.retention != registry.RetentionClass.PURPOSE:
        months = settings.RETENTION_MONTHS.get(rule.retention_setting or rule.retention)
    entry.update({
        "category": str(registry.Category(rule.category).label),
        "purpose": rule.purpose,
        "retention": str(registry.RetentionClass(rule.retention).label),
        "retention_months": months,
        "retention_starts": rule.retention_starts or None,
        "on_erasure": str(registry.Erasure(rule.erasure).label),
    })
    if rule.note:
        entry["note"] = rule.note
    return entry


def _readme(manifest: dict) -> str:
    lines = [
        _("A copy of your personal information") if manifest["kind"] == RightsRequest.Kind.COPY
        else _("The information generated while you used the service"),
        _("Made on %(when)s.") % {"when": manifest["generated_at"]},
        "",
        _("Each category is one JSON file and one CSV file (UTF-8) with the same rows. manifest.json lists "
          "the categories, how many rows each holds, and for each field its purpose, how long it is kept "
          "and what happens to it when your information is erased. Secrets that protect your account "
          "(password, keys, tokens) and information about other people are never included."),
        "",
    ]
    lines += [f"{category['name']}: {category['title']} ({category['rows']})" for category in manifest["categories"]]
    return "\n".join(lines) + "\n"
