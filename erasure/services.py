"""The erasure engine (issue 12, R4/R5): erase one person from every table the data map classifies
about a person, prove it with a residue scan, and survive a worker killed half-way. Also minors'
cases (M2, at the end): opened when real-name data or a guardian reveals a minor, decided by the
manager; a confirmed minor, and a child under 14 found in real-name data at once, is erased here.

`erase_person` records an ErasureJob with its steps and queues erasure.tasks.run_erasure_job.
`run_erasure_job` runs the steps still pending, in STEPS' order, each in its own transaction and
idempotent, so a killed worker leaves a job that `recover_erasure_jobs` (periodic) finishes and
running a job twice changes nothing. What a step does to a table is read from the data map
(privacy.registry): delete the row, anonymise a field with its declared replacement, crypto-shred
(the person's key is destroyed last), or keep under a legal basis (noted on the job as kept).

Lock order: the person's row, then the audit-chain head (audit.chain.lock_person) in every step.
"""
from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from access.actors import SystemActor, account_of, require_actor
from access.capabilities import Capability, may, require
from accounts import services as account_services
from accounts.models import DeviceToken, User
from accounts.throttling import login_identifier_digest
from audit import recording
from audit.chain import lock_person
from audit.models import AuditChain
from audit.retention import kept_until as retention_kept_until
from audit.retention import months_before, retention_months
from audit.retention import setting_of as retention_setting_of
from consent.services import deletion_notices as deletion_notice_services
from consent.services import guardians as guardian_services
from consent.services.erasure import erase_consent_records_of
from erasure import person_rows
from erasure import signals as erasure_signals
from erasure.models import ErasureJob, ErasureStep, MinorCase
from orgdata.selectors import address_book as address_book_selectors
from orgdata.services.minors import MINOR_PROTECTION
from privacy import cache_keys, keys
from privacy.registry import Erasure

# Finishing jobs a killed worker left is work nobody in the enterprise started.
ERASURE_RECOVERY = SystemActor("erasure recovery")
# The engine itself, where a step acts through another app's service (recipients' notices).
ERASURE_WORKER = SystemActor("erasure")
# Erasing leavers whose employment record's retention ended (issue 12 §3) is nobody's request.
RETENTION_END = SystemActor("retention end")
RETENTION_END_REASON = "the retention period of the employment record ended"
# A job untouched this long has lost its worker (a running step commits within seconds).
ABANDONED_AFTER = timedelta(minutes=10)


class ResidueFound(RuntimeError):
    """The residue scan found the erased person's information; the job is marked failed."""


def erase_person(*, actor, person: User, reason: str) -> ErasureJob:
    """R4/R5: start erasing `person`: record the job and its steps and queue the worker.

    Before anything is scrubbed, the person's blind-index values (and the keyed digest their login
    leaves in the throttling records) are kept on the job as SHA-256 only, never in clear, for the
    residue scan. Refuses an actor without Capability.ERASE_PERSON for `person` (NotPermitted; never
    oneself), the enterprise manager while they hold the role (it must be handed over first: an
    enterprise always has its manager), and an empty reason (ValidationError, field by field).
    """
    require(actor, Capability.ERASE_PERSON, target=person)
    if may(person, Capability.HAND_OVER_MANAGER_ROLE):
        raise ValidationError({"person": [_("Hand the enterprise manager role over before erasing this person.")]})
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why this person's information is erased.")]})
    with transaction.atomic():
        job = ErasureJob.objects.create(
            person=person, reason=reason[:200], identifier_digests=_former_identifier_digests(person),
            requested_by=None if isinstance(actor, SystemActor) else actor,
            requested_by_system=actor.name if isinstance(actor, SystemActor) else "")
        ErasureStep.objects.bulk_create(ErasureStep(job=job, position=position, name=name)
                                        for position, (name, _) in enumerate(STEPS))
        from erasure import tasks  # the task module imports this one

        transaction.on_commit(lambda: tasks.run_erasure_job.delay(job.pk))
    return job


def _former_identifier_digests(person: User) -> dict[str, list[str]]:
    found: dict[str, set[str]] = {}
    for declaration in person_rows.tables_about_a_person():
        fields = person_rows.blind_index_fields(declaration)
        if not fields or not declaration.subject:
            continue
        rows = person_rows.rows_of(declaration, person, {})
        for field in fields:
            for value in rows.exclude(**{f"{field.name}__isnull": True}).values_list(field.name, flat=True):
                found.setdefault(field.kind, set()).add(person_rows.digest(value))
    # A login released for a rehired person's new account (mobile_index emptied) is no longer
    # theirs: its throttling records may be the new account's.
    if person.mobile and person.mobile_index is not None:
        found.setdefault("login", set()).add(person_rows.digest(login_identifier_digest(person.mobile)))
    return {kind: sorted(values) for kind, values in found.items()}


def run_erasure_job(*, job_id: int) -> ErasureJob:
    """Run the job's pending steps in order; each commits on its own. A finished job is returned
    as it is. Safe to run twice at once (two workers): each step is claimed under the person's lock. Raises ResidueFound (after marking the job failed) when the residue scan is not empty."""
    job = ErasureJob.objects.get(pk=job_id)
    # Claimed in one statement: a second delivery (another worker, a redelivered message) that read
    # the job before a run finished it must not mark a finished job running again.
    claimed = ErasureJob.objects.filter(
        pk=job.pk, status__in=(ErasureJob.Status.PENDING, ErasureJob.Status.RUNNING),
    ).update(status=ErasureJob.Status.RUNNING, updated_at=timezone.now())
    if not claimed:
        job.refresh_from_db()
        return job
    for name, step in STEPS:
        with transaction.atomic():
            # Lock order: the person's row before the audit-chain head (the steps' audit entries).
            lock_person(job.person_id, exclusive=True)
            # A job recorded before a step was added gets it now (the declared order keeps its place).
            record, _created = ErasureStep.objects.select_for_update().get_or_create(
                job=job, name=name, defaults={"position": [step_name for step_name, _ in STEPS].index(name)})
            if record.status != ErasureStep.Status.PENDING:
                continue
            person = User.objects.get(pk=job.person_id)
            counts = step(job, person)
            status = ErasureStep.Status.FAILED if counts.get("residue") else ErasureStep.Status.DONE
            record.status, record.counts, record.finished_at = status, counts, timezone.now()
            record.save(update_fields=["status", "counts", "finished_at"])
            ErasureJob.objects.filter(pk=job.pk).update(updated_at=timezone.now())
    job.refresh_from_db()
    if job.status == ErasureJob.Status.FAILED:
        # Fails loudly: the job stays failed with the residue named (never a value), the task fails.
        raise ResidueFound(f"erasure job {job.pk}: residue in {', '.join(job.residue)}")
    return job


def recover_erasure_jobs(*, actor) -> int:
    """Finish every job left unfinished for ABANDONED_AFTER (its worker died); returns how many
    were run. Refuses a missing actor."""
    require_actor(actor)
    stale = timezone.now() - ABANDONED_AFTER
    job_ids = list(ErasureJob.objects.filter(
        status__in=(ErasureJob.Status.PENDING, ErasureJob.Status.RUNNING), updated_at__lt=stale,
    ).values_list("pk", flat=True))
    for job_id in job_ids:
        try:
            run_erasure_job(job_id=job_id)
        except ResidueFound:
            pass  # recorded on the job, which failed loudly
    return len(job_ids)


def erase_leavers_past_retention(*, actor, today=None) -> list[ErasureJob]:
    """Issue 12 §3: erase every person who left the company longer ago than
    settings.RETENTION_MONTHS["employment_record"] (the clock is the record's `left_at`, as the
    data map declares), through `erase_person`; returns the jobs started. People with an erasure
    job already (running, done or failed: a failed one waits for a person to look) are skipped; a
    rehired person's new account is untouched (only the old, left record counts). Refuses a missing
    actor, and raises ImproperlyConfigured for a period below the legal minimum (audit.retention)."""
    require_actor(actor)
    today = today or timezone.localdate()
    cutoff = months_before(today, retention_months()["employment_record"])
    leavers = address_book_selectors.leavers_who_left_before(cutoff).exclude(
        account_id__in=ErasureJob.objects.values("person_id")).select_related("account").order_by("left_at", "pk")
    return [erase_person(actor=actor, person=leaver.account, reason=RETENTION_END_REASON) for leaver in leavers]


# --- the steps --------------------------------------------------------------------------------

def _close_every_way_in(job: ErasureJob, person: User) -> dict:
    # Tokens revoked and console sessions ended through the one sign-out mechanism; the session
    # rows themselves go with the data map's step below. An account already closed is left as it
    # is, so erasing twice changes nothing.
    if not person.is_active and not DeviceToken.objects.filter(user=person, revoked_at__isnull=True).exists():
        return {"tokens_revoked": 0}
    revoked = account_services.sign_out_everywhere(person=person)
    User.objects.filter(pk=person.pk).update(is_active=False)
    recording.record_bulk(model=User, action="update", object_ids=[person.pk], changed_fields=["is_active"])
    return {"tokens_revoked": revoked}


def _tell_recipients(job: ErasureJob, person: User) -> dict:
    # R3: every recipient the sharing ledger names is told, before the ledger itself is erased;
    # the notices go out once this step commits (consent's outbox retries them).
    notices = deletion_notice_services.notify_recipients_of_erasure(actor=ERASURE_WORKER, person=person)
    return {"notices_queued": len(notices)}


def _tell_the_person(job: ErasureJob, person: User) -> dict:
    # The apps above this one act while the person can still be reached (erasure.signals): their
    # open requests closed, the certificate e-mailed to whoever asked for their own erasure.
    answered = erasure_signals.erasing_person.send(sender=ErasureJob, job=job, person=person)
    return {"receivers": len(answered)}


def _erase_consent_records(job: ErasureJob, person: User) -> dict:
    # consent owns its append-only ledger: its own erasure service is the one deletion it allows
    # (it also forgets the person's cached consent state).
    return {"consent_records_deleted": erase_consent_records_of(person_id=person.pk)}


def _delete_stored_files(job: ErasureJob, person: User) -> dict:
    deleted = 0
    for declaration in person_rows.tables_about_a_person():
        file_fields = [field for field in declaration.model._meta.concrete_fields
                       if isinstance(field, models.FileField) and field.name in declaration.fields]
        if not file_fields:
            continue
        for row in person_rows.rows_of(declaration, person, job.identifier_digests):
            for field in file_fields:
                stored = getattr(row, field.name)
                if stored:
                    stored.storage.delete(stored.name)
                    deleted += 1
    return {"files_deleted": deleted}


def _kept_until(rules: dict, rows) -> str | None:
    # R4: until when the person's rows are kept: the latest end of the fields' retention classes,
    # each counted from the person's latest clock value in the table (audit.retention).
    months, ends = retention_months(), []
    for rule in rules.values():
        if retention_setting_of(rule) is not None:
            latest = rows.aggregate(latest=Max(rule.retention_starts))["latest"]
            ends.append(retention_kept_until(rule, latest, months=months))
    ends = [end for end in ends if end is not None]
    return max(ends).isoformat() if ends else None


def _erase_rows_by_data_map(job: ErasureJob, person: User) -> dict:
    counts, kept = {}, set(job.kept)
    kept_until = {}
    for declaration in person_rows.tables_about_a_person():
        if declaration.erasure == Erasure.CRYPTO_SHRED:
            continue  # the key itself: destroyed by the last step
        rows = person_rows.rows_of(declaration, person, job.identifier_digests)
        # Read before the rows are anonymised or deleted: what is kept, until when (R4).
        if declaration.erasure == Erasure.KEEP_LEGAL_BASIS:
            kept_until[declaration.label] = _kept_until(declaration.fields, rows)
        for name, rule in declaration.fields.items():
            if rule.erasure in (Erasure.KEEP_LEGAL_BASIS, Erasure.CRYPTO_SHRED):
                kept_until[f"{declaration.label}.{name}"] = _kept_until({name: rule}, rows)
        if declaration.erasure == Erasure.DELETE:
            if rows.exists():
                counts[declaration.label] = rows.delete()[0]
            continue
        if declaration.erasure == Erasure.KEEP_LEGAL_BASIS:
            kept.add(declaration.label)  # the whole row, e.g. the proof that recipients were told
        replacements = {name: rule.replacement for name, rule in declaration.fields.items()
                        if rule.erasure == Erasure.ANONYMISE}
        kept |= {f"{declaration.label}.{name}" for name, rule in declaration.fields.items()
                 if rule.erasure == Erasure.KEEP_LEGAL_BASIS}
        if replacements:
            ids = list(rows.values_list("pk", flat=True))
            rows.update(**replacements)
            if declaration.model in recording.audited_models():
                recording.record_bulk(model=declaration.model, action="anonymise", object_ids=ids,
                                      changed_fields=sorted(replacements))
            counts[declaration.label] = len(ids)
    # R4: records the law makes us keep stay isolated, pseudonymised, until their retention class ends.
    ErasureJob.objects.filter(pk=job.pk).update(kept=sorted(kept))
    job.kept = sorted(kept)
    return {"rows": counts, "kept_until": kept_until}


def _forget_cached_values(job: ErasureJob, person: User) -> dict:
    # R4: the shared cache (Redis) keeps nothing about the person: every per-person key the apps
    # registered (privacy.cache_keys) goes, the consent-state generation counter included (the
    # person has no consent records left to race with a reader).
    return {"cache_kinds_deleted": cache_keys.delete_for(person.pk)}


def _make_tombstone(job: ErasureJob, person: User) -> dict:
    # The id survives (actor links and the audit chain name it); what the data map does not
    # declare personal but lets someone in goes too. update(): a save() would refill the blind
    # index from the mobile number.
    if not (person.is_active or person.is_staff or person.is_superuser or person.has_usable_password()):
        return {"tombstone": person.pk}
    User.objects.filter(pk=person.pk).update(is_active=False, is_staff=False, is_superuser=False,
                                             must_change_password=False, password=make_password(None))
    recording.record_bulk(model=User, action="anonymise", object_ids=[person.pk],
                          changed_fields=["is_active", "is_staff", "is_superuser", "password"])
    return {"tombstone": person.pk}


def _destroy_key(job: ErasureJob, person: User) -> dict:
    # R4: crypto-shredding; every encrypted value of the person, live or in a backup, is unreadable.
    if person.person_key_id is not None:
        keys.destroy_person_key(person.person_key_id)
    return {"key_destroyed": person.person_key_id}


def scan_for_residue(job: ErasureJob, person: User) -> list[str]:
    """Every table classified about a person, searched for the person's information still there:
    rows of theirs a DELETE rule should have removed, fields not holding their declared
    replacement, encrypted values whose key still exists, and their former blind-index values
    anywhere in the table; and every per-person cache key an app registered (privacy.cache_keys).
    Returns "table.field" and "redis:<name>" names (never a value); kept-by-law fields are not
    residue."""
    from privacy.models import PersonKey

    residue = []
    for declaration in person_rows.tables_about_a_person():
        rows = person_rows.rows_of(declaration, person, job.identifier_digests)
        if declaration.erasure == Erasure.CRYPTO_SHRED:
            if rows.filter(wrapped_key__isnull=False).exists():
                residue.append(f"{declaration.table}.wrapped_key")
        elif declaration.erasure == Erasure.DELETE:
            if rows.exists():
                residue.append(f"{declaration.table}.*")
        else:
            for name, rule in declaration.fields.items():
                if rule.erasure == Erasure.ANONYMISE and rows.exclude(**_holds(name, rule.replacement)).exists():
                    residue.append(f"{declaration.table}.{name}")
                elif rule.erasure == Erasure.CRYPTO_SHRED:
                    key_ids = rows.values_list("person_key_id", flat=True)
                    if PersonKey.objects.filter(pk__in=key_ids, wrapped_key__isnull=False).exists():
                        residue.append(f"{declaration.table}.{name}")
        for field in person_rows.blind_index_fields(declaration):
            if person_rows.with_former_identifier(declaration, field, job.identifier_digests).exists():
                residue.append(f"{declaration.table}.{field.name}")
    # R4: and the shared cache, by the keys each app names (privacy.cache_keys).
    residue += [f"redis:{name}" for name in cache_keys.remaining_for(person.pk)]
    return sorted(set(residue))


def _holds(name: str, replacement) -> dict:
    return {f"{name}__isnull": True} if replacement is None else {name: replacement}


def _scan_for_residue(job: ErasureJob, person: User) -> dict:
    residue = scan_for_residue(job, person)
    finished = {"residue": residue, "finished_at": timezone.now(),
                "status": ErasureJob.Status.FAILED if residue else ErasureJob.Status.DONE}
    ErasureJob.objects.filter(pk=job.pk).update(**finished)
    # The certificate is hash-linked to the audit log through the chain's head as the job finished
    # (the step holds the head's lock: lock_person above).
    head = AuditChain.objects.values("head_id", "head_hash").get(pk=1)
    return {"residue": len(residue), "audit_chain_head": {"id": head["head_id"], "hash": head["head_hash"]}}


# The declared order: close the ways in first (nothing new arrives while erasing), consent's own
# ledger before the data map's generic rules, files before the rows that name them, the apps above
# told (erasure.signals) as late as the person's rows, their e-mail address, still exist, the cache once
# no step reads the person's consent state any more, the key last but one (encrypted values are
# read by the steps before it), the residue scan last.
STEPS = (
    ("close_every_way_in", _close_every_way_in),
    ("tell_recipients", _tell_recipients),
    ("consent_records", _erase_consent_records),
    ("stored_files", _delete_stored_files),
    ("tell_the_person", _tell_the_person),
    ("rows_by_data_map", _erase_rows_by_data_map),
    ("tombstone", _make_tombstone),
    ("cached_values", _forget_cached_values),
    ("destroy_key", _destroy_key),
    ("residue_scan", _scan_for_residue),
)


# --- minors (M2) --------------------------------------------------------------------------------
# "When real-name data reveals a minor, or a guardian reports one, the case is verified and the data
# deleted or anonymised promptly; information of children under 14 is deleted as soon as found."
# orgdata finds them (orgdata.services.minors) and announces them with orgdata.signals.minor_found;
# `on_minor_found` (connected in ErasureConfig.ready) opens the cases here. The case row is the
# proof the promise was kept: it stays, pointing to the tombstone, its note anonymised (data map).

CHILD_ERASURE_REASON = "M2: real-name data shows a child under 14 (minor case {case})"
CONFIRMED_MINOR_REASON = "M2: confirmed a minor (minor case {case})"


def on_minor_found(sender, *, person_ids: list[int], is_child: bool, account_disabled: bool = False,
                   **kwargs) -> None:
    """Receiver of orgdata.signals.minor_found, in the transaction that found them: a child under 14
    is erased at once (`erase_child_found`); anyone aged 14 to 17 gets a case to verify, which
    remembers whether the finding disabled the account (M1: 14 or 15 by an edit)."""
    if is_child:
        for person in User.objects.filter(pk__in=person_ids).order_by("pk"):
            erase_child_found(person=person)
    else:
        open_minor_cases(actor=MINOR_PROTECTION, person_ids=person_ids, account_disabled=account_disabled)


def open_minor_cases(*, actor, person_ids: list[int], account_disabled: bool = False) -> list[MinorCase]:
    """M2: open a case "to verify", found in real-name data, for each person of `person_ids` who has
    no open case yet; returns the cases opened. With `account_disabled` (M1) an open case is marked
    too: a dismissal then enables the account again. Creation is audited (one entry per case).
    Refuses an actor without Capability.VERIFY_MINOR_CASE (system work holds it)."""
    require(actor, Capability.VERIFY_MINOR_CASE)
    open_cases = MinorCase.objects.filter(person_id__in=person_ids, status=MinorCase.Status.OPEN)
    already = set(open_cases.values_list("person_id", flat=True))
    if account_disabled and already:
        marked = list(open_cases.filter(account_disabled=False).values_list("pk", flat=True))
        MinorCase.objects.filter(pk__in=marked).update(account_disabled=True)
        if marked:
            recording.record_bulk(model=MinorCase, action="update", object_ids=marked,
                                  changed_fields=["account_disabled"])
    cases = MinorCase.objects.bulk_create(
        MinorCase(person_id=person_id, found_by=MinorCase.FoundBy.REAL_NAME_DATA, account_disabled=account_disabled)
        for person_id in dict.fromkeys(person_ids) if person_id not in already)
    recording.record_bulk(model=MinorCase, action="create", object_ids=[case.pk for case in cases],
                          changed_fields=["person", "found_by", "status", "account_disabled"])
    return cases


def erase_child_found(*, person: User) -> MinorCase:
    """M2: real-name data shows that `person` is under 14: their case (an open one, or a new one) is
    confirmed by system work and the person erased at once (`erase_person`, reason naming M2).
    The caller holds the person's lock (orgdata.services.minors.protect_children)."""
    case = MinorCase.objects.select_for_update().filter(person=person, status=MinorCase.Status.OPEN).first()
    if case is None:
        case = MinorCase(person=person, found_by=MinorCase.FoundBy.REAL_NAME_DATA)
        case.save()
    return _confirm(case, actor=MINOR_PROTECTION, note="", reason=CHILD_ERASURE_REASON)


def record_guardian_report(*, actor, person: User, note: str = "") -> MinorCase:
    """M2: an administrator records that a guardian reports `person` to be a minor: a case "to
    verify", found by a guardian's report, with the administrator's short note. Refuses an actor who
    may not administer `person` (NotPermitted, or NotInYourScope outside a sub-administrator's
    departments), a note over 200 characters, and a person who already has an open case or whose
    information is already being erased (ValidationError)."""
    require(actor, Capability.ADMINISTER_EMPLOYEES, target=person)
    note = note.strip()
    if len(note) > 200:
        raise ValidationError({"note": [_("Use at most %(count)d characters.") % {"count": 200}]})
    with transaction.atomic():
        # Lock order: the person's row before the audit-chain head (the case's audit entry).
        lock_person(person.pk, exclusive=True)
        if ErasureJob.objects.filter(person=person).exists():
            raise ValidationError({"note": [_("This person's information is already being deleted.")]})
        if MinorCase.objects.filter(person=person, status=MinorCase.Status.OPEN).exists():
            raise ValidationError({"note": [_("A case about this person is already open for the manager to verify.")]})
        return MinorCase.objects.create(person=person, found_by=MinorCase.FoundBy.GUARDIAN_REPORT,
                                        reported_by=account_of(actor), note=note)


class Decision:
    """What the manager decides about a case (`decide_minor_case`)."""

    CONFIRMED = "confirmed"  # a minor: erased at once
    DISMISSED = "dismissed"  # not a minor: the data was wrong
    GUARDIAN_CONSENTED = "guardian_consented"  # M1: 16 or 17, the guardian's consent verified


def decide_minor_case(*, actor, case: MinorCase, decision: str, note: str = "",
                      guardian: dict | None = None) -> MinorCase:
    """M2: the manager decides an open case. "Confirmed a minor": the person is erased at once
    (`erase_person`, reason naming M2 and the case; the case keeps the job). "Not a minor" (the data
    was wrong): dismissed with a note saying why, nothing erased; an account the finding disabled
    (M1: an edit stating 14 or 15) is enabled again. "Guardian's consent" (M1, a 16- or
    17-year-old): `guardian` (guardian_name, relationship, contact, evidence, purpose_codes) is
    recorded by consent.services.guardians, which activates the account, and the case closes. The
    decision (status, who, when, note) is audited. Refuses an actor without
    Capability.VERIFY_MINOR_CASE (NotPermitted), an unknown decision, a case already decided, a
    dismissal without a note or a note over 200 characters (ValidationError), whatever
    `erase_person` refuses (the manager's own case, while they hold the role) and whatever
    recording the guardian's consent refuses (not a minor of 16 or 17 by the record, a disabled
    account, missing guardian details)."""
    require(actor, Capability.VERIFY_MINOR_CASE)
    if decision not in (Decision.CONFIRMED, Decision.DISMISSED, Decision.GUARDIAN_CONSENTED):
        raise ValidationError({"decision": [_("Choose a decision.")]})
    note = note.strip()
    if len(note) > 200:
        raise ValidationError({"note": [_("Use at most %(count)d characters.") % {"count": 200}]})
    if decision == Decision.DISMISSED and not note:
        raise ValidationError({"note": [_("Say why this person is not a minor (e.g. the date of birth was wrong).")]})
    with transaction.atomic():
        # Lock order: the person's row before the audit-chain head (the decision's audit entry).
        lock_person(case.person_id, exclusive=True)
        case = MinorCase.objects.select_for_update().get(pk=case.pk)
        if case.status != MinorCase.Status.OPEN:
            raise ValidationError({"decision": [_("This case was already decided.")]})
        if decision == Decision.CONFIRMED:
            return _confirm(case, actor=actor, note=note, reason=CONFIRMED_MINOR_REASON)
        if decision == Decision.GUARDIAN_CONSENTED:
            # The receiver of guardian_consent_recorded (`on_guardian_consent_recorded`) closes the case.
            guardian_services.record_guardian_consent(actor=actor, person=case.person, **(guardian or {}))
            case.refresh_from_db()
            if note:
                case.note = note
                case.save(update_fields=["note"])
            return case
        if case.account_disabled:
            account_services.enable_account(actor=actor, person=case.person)  # M1: the data was wrong
        case.status = MinorCase.Status.DISMISSED
        case.decided_by, case.decided_at, case.note = account_of(actor), timezone.now(), note
        case.save(update_fields=["status", "decided_by", "decided_at", "note"])
        return case


def on_guardian_consent_recorded(sender, *, person_id: int, actor, **kwargs) -> None:
    """Receiver of consent.services.guardians.guardian_consent_recorded (M1), in the recording's
    transaction: the person's open case, if any, closes as "the guardian's consent is recorded",
    decided by the administrator who verified it."""
    case = MinorCase.objects.select_for_update().filter(person_id=person_id, status=MinorCase.Status.OPEN).first()
    if case is None:
        return
    case.status = MinorCase.Status.GUARDIAN_CONSENTED
    case.decided_by, case.decided_at = account_of(actor), timezone.now()
    case.save(update_fields=["status", "decided_by", "decided_at"])


def _confirm(case: MinorCase, *, actor, note: str, reason: str) -> MinorCase:
    job = erase_person(actor=actor, person=case.person, reason=reason.format(case=case.pk))
    case.status, case.erasure_job = MinorCase.Status.CONFIRMED, job
    case.decided_by, case.decided_at = account_of(actor), timezone.now()
    case.decided_by_system = actor.name if isinstance(actor, SystemActor) else ""
    case.note = note
    case.save(update_fields=["status", "erasure_job", "decided_by", "decided_by_system", "decided_at", "note"])
    return case
