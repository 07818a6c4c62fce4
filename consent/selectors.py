"""Reads of consent: each person's current state with every purpose, history, receipts, sharing
records, coverage counts and whether the schema's catalogue is in step with the code's.

The state the gate reads on every request is derived from the ledger and cached in
consent.state_cache; the reads here go to the database.
"""
from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from access.capabilities import Capability, people_in_scope
from accounts.models import User
from consent import catalogue, gate
from consent.models import ConsentEvent, DeletionNotice, Disclosure, GuardianConsent, Purpose, PurposeRevision, Recipient
from consent.state_cache import PurposeFacts, catalogue_from_database
from core.schemas import schemas_having_table
from policies import selectors as policy_selectors
from privacy import statistics

def guardian_consent_of(person) -> GuardianConsent | None:
    """M1: the guardian's consent in force for `person`, or None."""
    return GuardianConsent.objects.filter(person_id=person.pk, withdrawn_at__isnull=True).first()


def additional_purposes() -> list[Purpose]:
    """The active purposes that need a person's own consent (every one but the basic ones)."""
    return list(Purpose.objects.filter(is_active=True).exclude(kind=Purpose.Kind.BASIC).order_by("kind", "code"))


def purposes_with_state_of(person) -> list[tuple[Purpose, bool]]:
    """Every active purpose with whether `person` may currently be processed for it (C1–C5, C9)."""
    purposes = list(Purpose.objects.filter(is_active=True).select_related("recipient").order_by("kind", "code"))
    return [(purpose, gate.may_process(person, purpose.code)) for purpose in purposes]


def device_permissions_of(person) -> list[dict]:
    """C3: every device permission of this enterprise's catalogue, with what the app shows before
    the phone's prompt (its stated purpose, what stops working without it) and whether `person`
    granted it."""
    rows = []
    for purpose, granted in purposes_with_state_of(person):
        if purpose.kind != Purpose.Kind.DEVICE_PERMISSION:
            continue
        prompt = catalogue.DEVICE_PERMISSION_PROMPTS.get(purpose.code, catalogue.GENERIC_PRE_PROMPT)
        rows.append({"purpose": purpose, "prompt": prompt, "granted": granted})
    return rows


def history_of(person) -> QuerySet[ConsentEvent]:
    """C6: every answer the person gave, newest first (withdrawal never removes earlier ones)."""
    return ConsentEvent.objects.filter(person=person).select_related("purpose").order_by("-id")


def event_of(person, event_id: int) -> ConsentEvent:
    """One of the person's own events; another person's is "not found"."""
    return get_object_or_404(history_of(person), pk=event_id)


def _purpose_in_receipt(event: ConsentEvent) -> dict | None:
    """The purpose as the revision the event was for said it (C6/C9/C11): its wording, what it
    covers, and whom it shares which information with and why. Only a revision made before
    those were kept (migration 0002) falls back to today's wording, and says so
    ("statement_recorded": false)."""
    purpose = event.purpose
    if purpose is None:
        return None
    said = PurposeRevision.objects.select_related("recipient").filter(
        purpose=purpose, revision=event.purpose_revision).first()
    is_recorded = said is not None
    if said is None:
        said = PurposeRevision(**PurposeRevision.fields_of(purpose))
    return {
        "code": purpose.code, "revision": event.purpose_revision, "statement_recorded": is_recorded,
        "kind": said.kind, "name_en": said.name_en, "name_zh_hans": said.name_zh_hans,
        "statement_en": said.statement_en, "statement_zh_hans": said.statement_zh_hans,
        "is_sensitive": said.is_sensitive, "sensitive_category": said.sensitive_category or None,
        "covers": list(said.covers),
        "recipient": said.recipient.code if said.recipient_id else None,
        "shared_with": None if said.recipient_id is None else {
            "code": said.recipient.code, "name_en": said.recipient_name_en,
            "name_zh_hans": said.recipient_name_zh_hans, "purpose_en": said.recipient_purpose_en,
            "purpose_zh_hans": said.recipient_purpose_zh_hans, "pi_types": list(said.pi_types),
        },
    }


def receipt_of(event: ConsentEvent) -> dict:
    """A consent receipt (JSON): what was answered, for which purpose revision and as that revision
    was worded, under which policy, through which channel, when, and the ledger digests that make
    tampering evident."""
    return {
        "receipt_id": f"{connection.schema_name}:{event.pk}",
        "enterprise_schema": connection.schema_name,
        "person_id": event.person_id,
        "action": event.action,
        "purpose": _purpose_in_receipt(event),
        "policy_version": event.policy_version_label or None,
        "channel": event.channel,
        "request_reference": event.request_reference,
        "device_id": event.device_id,
        "ip_address": event.ip_address,
        "occurred_at": event.occurred_at.isoformat(),
        "previous_digest": event.previous_digest,
        "digest": event.digest,
    }


def current_grant(person_id: int, purpose: Purpose) -> ConsentEvent | None:
    """The person's grant of `purpose` still in force for its current revision: their latest answer
    to it, if that answer was a grant of this revision."""
    latest = ConsentEvent.objects.filter(person_id=person_id, purpose=purpose).order_by("-id").first()
    if latest and latest.action == ConsentEvent.Action.GRANTED and latest.purpose_revision == purpose.revision:
        return latest
    return None


def disclosures_of(person) -> QuerySet[Disclosure]:
    """C9/C11: what was given to whom, when and under which consent — shown to the person."""
    return Disclosure.objects.filter(person=person).select_related("recipient", "purpose").order_by("-id")


def recipients() -> QuerySet[Recipient]:
    """Every recipient personal information may go to (C9), with its webhook (R3)."""
    return Recipient.objects.order_by("kind", "code")


def deletion_notices_of(person) -> QuerySet[DeletionNotice]:
    """R3: the notices telling recipients to delete the person's information, with their status."""
    return DeletionNotice.objects.filter(person=person).select_related("recipient").order_by("-id")


def _processable_closures(catalogue: dict[str, PurposeFacts]) -> dict[str, frozenset[str] | None]:
    """Per purpose, the codes a person must have consented to for consent.gate.may_process to say
    yes: the purpose and every purpose it requires, transitively, leaving out basic ones (they need
    no consent). None when that can never be: a purpose it needs is inactive or unknown."""
    closures: dict[str, frozenset[str] | None] = {}
    for code in catalogue:
        needed, pending, seen = set(), [code], set()
        while pending:
            current = pending.pop()
            if current in seen:
                continue
            seen.add(current)
            facts = catalogue.get(current)
            if facts is None or (not facts.is_basic and not facts.is_active):
                needed = None
                break
            if facts.is_basic:
                continue
            needed.add(current)
            pending.extend(facts.requires)
        closures[code] = None if needed is None else frozenset(needed)
    return closures


def consent_coverage() -> list[dict]:
    """Per additional purpose: how many people may be processed for it now, out of how many. Counts
    only, never who refused.

    S3: the counts are anonymised (privacy.statistics): fewer than 5 is "<5", and a count whose
    rest (the people who are not consenting) is fewer than 5 is a range, so the total shown with it
    reveals no small cell either.
    """
    total, counts = _exact_coverage()
    return [{"purpose": purpose, "consenting": statistics.part_of(consenting, total=total),
             "people": statistics.cell(total)} for purpose, consenting in counts]


def _exact_coverage() -> tuple[int, list[tuple[Purpose, int]]]:
    """The people counted, and per additional purpose how many of them may be processed for it now,
    exact: for consent_coverage to anonymise, never to show as they are.

    The same rule as the gate (consent.gate.may_process): active people only (the total counts
    the same people), a grant counts only for the purpose's current revision, and a purpose counts
    only while every purpose it requires is consented too (tracking stops with location).
    """
    people = User.objects.filter(is_active=True).exclude(role=User.Role.PLATFORM_STAFF)
    # People with the same set of current grants are counted together: a few rows, whatever the size.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT codes, count(*) FROM ("
            "  SELECT array_agg(p.code ORDER BY p.code) AS codes FROM ("
            "    SELECT DISTINCT ON (person_id, purpose_id) person_id, purpose_id, action, purpose_revision"
            "    FROM consent_consentevent WHERE purpose_id IS NOT NULL ORDER BY person_id, purpose_id, id DESC"
            "  ) latest JOIN consent_purpose p ON p.id = latest.purpose_id"
            f"  JOIN {User._meta.db_table} u ON u.id = latest.person_id"
            "  WHERE latest.action = %s AND latest.purpose_revision = p.revision AND p.is_active"
            "    AND u.is_active AND u.role <> %s"
            "  GROUP BY latest.person_id"
            ") consenting GROUP BY codes",
            [ConsentEvent.Action.GRANTED, User.Role.PLATFORM_STAFF])
        groups = [(frozenset(codes), count) for codes, count in cursor.fetchall()]
    closures = _processable_closures(catalogue_from_database())
    counts = []
    for purpose in Purpose.objects.filter(is_active=True).exclude(kind=Purpose.Kind.BASIC).order_by("kind", "code"):
        needed = closures.get(purpose.code)
        counts.append((purpose, 0 if needed is None else sum(count for codes, count in groups if needed <= codes)))
    return people.count(), counts


def catalogue_is_in_step(purpose_model=Purpose) -> bool:
    """Whether this schema's purposes already match consent.catalogue, so that a sync
    (consent.services.catalogue.apply_catalogue) has nothing to add, revise or retire. One query.

    Takes the model so that it also works with a migration's historical one.
    """
    return _is_in_step(purpose_model.objects.values_list(
        "code", "definition_hash", "revision", "is_active", "is_from_catalogue"))


def schemas_out_of_step_with_catalogue(schema_names: list[str]) -> list[str]:
    """Those of `schema_names` whose purposes do not match consent.catalogue (as
    catalogue_is_in_step), in one query over all of them; schemas without consent tables are skipped."""
    table = Purpose._meta.db_table
    with_table = sorted(schemas_having_table(table, list(schema_names)))
    if not with_table:
        return []
    stored: dict[str, list[tuple]] = {name: [] for name in with_table}
    # Per 1,000 schemas: each table read holds a lock until the statement ends.
    for start in range(0, len(with_table), 1_000):
        chunk = with_table[start:start + 1_000]
        purposes = " UNION ALL ".join(
            f"SELECT %s::text, code, definition_hash, revision, is_active, is_from_catalogue "
            f"FROM {connection.ops.quote_name(name)}.{connection.ops.quote_name(table)}" for name in chunk)
        with connection.cursor() as cursor:
            cursor.execute(purposes, chunk)
            for schema_name, *row in cursor.fetchall():
                stored[schema_name].append(tuple(row))
    return [name for name in with_table if not _is_in_step(stored[name])]


def _is_in_step(rows) -> bool:
    """rows: (code, definition hash, revision, is active, is from the catalogue) of one schema."""
    stored = {code: (digest, revision, is_active, is_from_catalogue)
              for code, digest, revision, is_active, is_from_catalogue in rows}
    for definition in catalogue.ALL_PURPOSES:
        found = stored.pop(definition.code, None)
        if found is None:
            return False
        digest, revision, is_active, _from_catalogue = found
        if digest != catalogue.definition_hash(definition) or revision < definition.revision or not is_active:
            return False
    # Left: purposes the catalogue no longer has; those it made must be retired.
    return not any(is_active and from_catalogue for _digest, _revision, is_active, from_catalogue in stored.values())


# --- the console's sharing ledger and policy acceptance (issue 14) ------------------------------

def disclosures_visible_to(actor, *, recipient: Recipient | None = None, person_id: int | None = None,
                           is_public: bool = False) -> QuerySet[Disclosure]:
    """C9/C11: the disclosures of the people `actor` may see in the sharing ledger (the manager:
    everyone; a sub-administrator: the people of their departments), newest first; narrowed to
    one recipient, to public disclosures, or to one person."""
    disclosures = Disclosure.objects.filter(people_in_scope(actor, Capability.SEE_SHARING_LEDGER))
    if recipient is not None:
        disclosures = disclosures.filter(recipient=recipient)
    elif is_public:
        disclosures = disclosures.filter(recipient__isnull=True)
    if person_id is not None:
        disclosures = disclosures.filter(person_id=person_id)
    return disclosures.select_related("person", "recipient", "purpose", "consent_event",
                                      "legal_basis_record").order_by("-disclosed_at", "-id")


def deletion_notices_visible_to(actor, *, recipient: Recipient | None = None,
                                person_id: int | None = None) -> QuerySet[DeletionNotice]:
    """R3: the deletion notices about the people `actor` may see in the sharing ledger, newest first."""
    notices = DeletionNotice.objects.filter(people_in_scope(actor, Capability.SEE_SHARING_LEDGER))
    if recipient is not None:
        notices = notices.filter(recipient=recipient)
    if person_id is not None:
        notices = notices.filter(person_id=person_id)
    return notices.select_related("recipient").order_by("-id")


def recipients() -> QuerySet[Recipient]:
    return Recipient.objects.order_by("kind", "code")


def policy_acceptance(actor, versions) -> list[dict]:
    """C8: per policy version, how many of the active people `actor` may count (the manager:
    everyone; a sub-administrator: the people of their departments) accepted it, out of how many.

    S3: counts are anonymised as the consent coverage is (privacy.statistics): fewer than 5 is
    "<5", and a count whose rest is fewer than 5 is a range.
    """
    in_scope = people_in_scope(actor, Capability.SEE_POLICY_ACCEPTANCE, field="pk")
    people = User.objects.filter(in_scope, is_active=True).exclude(role=User.Role.PLATFORM_STAFF)
    total = people.count()
    accepted = dict(ConsentEvent.objects.filter(
        action=ConsentEvent.Action.POLICY_ACCEPTED, policy_version_id__in=[version.pk for version in versions],
        person__in=people.values("pk")).values("policy_version_id").annotate(
        people=Count("person_id", distinct=True)).values_list("policy_version_id", "people"))
    return [{"version": version, "accepted": statistics.part_of(accepted.get(version.pk, 0), total=total),
             "people": statistics.cell(total)} for version in versions]


def _people_condition(people: QuerySet | None) -> tuple[str, list]:
    """SQL restricting consent events to `people` (a queryset of accounts), or to everyone."""
    if people is None:
        return "", []
    try:
        sql, params = people.values("pk").query.sql_with_params()
    except EmptyResultSet:  # nobody (a sub-administrator whose departments are gone)
        return " AND false", []
    return f" AND person_id IN ({sql})", list(params)


def coverage_over_time(*, people: QuerySet | None = None, months: int = 6, now=None) -> dict:
    """Per additional purpose, how many of `people` (active accounts; everyone when None) had a
    standing grant at the end of each of the last `months` months, the current month up to now.

    A grant stands when the person's latest answer for the purpose before that moment was to give
    it. Counts only, anonymised like consent_coverage (S3): "<5" and ">N", never a small cell.
    """
    now = now or timezone.now()
    if people is None:
        people = User.objects.all()
    people = people.filter(is_active=True).exclude(role=User.Role.PLATFORM_STAFF)
    total = people.count()
    ends = []
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    for _ in range(months - 1):
        ends.insert(0, month_start)
        month_start = (month_start - timedelta(days=1)).replace(day=1)
    ends.append(now)
    purposes = list(Purpose.objects.filter(is_active=True).exclude(kind=Purpose.Kind.BASIC).order_by("kind", "code"))
    restriction, restriction_params = _people_condition(people)
    counts: dict[int, list[int]] = {purpose.pk: [] for purpose in purposes}
    with connection.cursor() as cursor:
        for end in ends:
            cursor.execute(
                "SELECT purpose_id, count(*) FROM ("
                "  SELECT DISTINCT ON (person_id, purpose_id) purpose_id, action FROM consent_consentevent"
                f"  WHERE purpose_id IS NOT NULL AND occurred_at < %s{restriction}"
                "  ORDER BY person_id, purpose_id, id DESC"
                ") latest WHERE action = %s GROUP BY purpose_id",
                [end, *restriction_params, ConsentEvent.Action.GRANTED])
            found = dict(cursor.fetchall())
            for pk, row in counts.items():
                row.append(found.get(pk, 0))
    return {
        "months": [timezone.localtime(end - timedelta(seconds=1)).strftime("%Y-%m") for end in ends],
        "people": statistics.cell(total),
        "purposes": [{"purpose": purpose, "consenting": [statistics.part_of(count, total=total) for count in counts[purpose.pk]]}
                     for purpose in purposes],
    }


def current_policy_acceptance(*, people: QuerySet | None = None) -> dict | None:
    """How many of `people` (active accounts; everyone when None) have accepted the privacy policy
    version that must be accepted now (C8), or a later one; None when no version requires it.
    Anonymised (S3): both the accepted and the not-yet cell are "<5" or a range when small."""
    required = policy_selectors.version_requiring_acceptance()
    if required is None:
        return None
    if people is None:
        people = User.objects.all()
    people = people.filter(is_active=True).exclude(role=User.Role.PLATFORM_STAFF)
    total = people.count()
    satisfying = [facts.id for facts in policy_selectors.timeline() if facts.effective_at >= required.effective_at]
    accepted = (ConsentEvent.objects.filter(action=ConsentEvent.Action.POLICY_ACCEPTED,
                                            policy_version_id__in=satisfying, person__in=people)
                .values("person_id").distinct().count())
    return {"version": required, "people": statistics.cell(total),
            "accepted": statistics.part_of(accepted, total=total),
            "not_yet": statistics.part_of(total - accepted, total=total)}
