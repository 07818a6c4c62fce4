"""Security incidents (X5): open one, find the people it affects, tell each of them, count those
who could not be reached, announce publicly when any remain, and write the regulator report.

The work after opening runs in Celery (incidents.tasks) and resumes where it stopped: people are
found once (`resolve_affected`), each person's messages are planned once (`plan_deliveries`),
each message is tried until it goes or its retries run out (`send_due_deliveries`, retried after
settings.INCIDENT_RETRY_MINUTES), and the incident is closed once nothing is pending
(`finish_if_told`). Every step is a timeline step and an audit-log entry.

"Reached" means a message left the platform for the person, or for a minor's guardian, by e-mail
or text message: the in-app message is always left too, but a person who never opens the app
has not been told by it. People no channel reached are counted unreachable, and then the
incident is announced on the platform host (the policy: "if it is difficult to inform individual
information subjects one by one, we will ... publish announcements").
"""
from __future__ import annotations

import secrets
from datetime import date, timedelta
from smtplib import SMTPException

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name, schema_context

from access import actors
from access.actors import SystemActor, account_of, is_system_actor
from access.capabilities import Capability, require
from accounts import sms
from accounts.models import User
from accounts.validators import normalize_mainland_mobile
from audit.context import Actor
from audit.recording import record_event
from consent.selectors import guardian_consent_of
from erasure.person_rows import tables_about_a_person
from incidents import report
from incidents.models import AffectedEnterprise, AffectedPerson, Delivery, Incident, PublicAnnouncement, TimelineStep
from orgdata.models import Department, Employee
from privacy import registry
from rights import inbox
from tenants.selectors import current_enterprise

# System work: everything after opening (finding people, telling them, counting, announcing,
# reporting), and copying a platform incident into each affected enterprise.
INCIDENT_WORK = SystemActor("incident_work")
PLATFORM_RELAY = SystemActor("platform_incident_relay")

TEXT_LIMITS = {"title": 200, "contact": 200, "cause": 4000, "possible_harm": 4000, "measures_taken": 4000,
               "advice": 4000, "remedies": 4000}
# A platform incident reaches people by enterprise or through the data map; departments and
# lists belong to one enterprise (its manager's console).
PLATFORM_AUDIENCES = (Incident.Audience.ENTERPRISE, Incident.Audience.DATA)


def _step(incident: Incident, step: str, *, actor, note: str = "", fields=()) -> None:
    """One timeline step, and the same step in the audit log (enterprise schemas; the public schema
    has no audit log and keeps the timeline)."""
    TimelineStep.objects.create(incident=incident, step=step, note=note[:300], actor_label=actors.label(actor))
    record_event(action=f"incident_{step}", object_type="incidents.incident", object_id=incident.pk,
                 changed_fields=fields, actor=Actor.for_user(actor))


def _new_reference() -> str:
    return f"INC-{timezone.localdate():%Y%m%d}-{secrets.token_hex(3).upper()}"


def _clean_text(values: dict) -> dict:
    cleaned, errors = {}, {}
    for name, limit in TEXT_LIMITS.items():
        value = (values.get(name) or "").strip()
        if not value:
            errors[name] = [_("This field is required.")]
        elif len(value) > limit:
            errors[name] = [_("Use at most %(count)d characters.") % {"count": limit}]
        cleaned[name] = value
    if values.get("kind") not in Incident.Kind.values:
        errors["kind"] = [_("Choose the type of incident.")]
    if errors:
        raise ValidationError(errors)
    return cleaned


# --- the data map: "everyone whose data of category C was in table T" ---------------------------

def data_map_tables() -> list[tuple[str, str, list[str]]]:
    """Tables of this schema that hold people's data and lead from a row to its person's account:
    (table, model label, categories it holds). The choices of the "data" audience."""
    return [(d.table, d.label, sorted({rule.category for rule in d.fields.values()}))
            for d in tables_about_a_person() if d.subject and d.fields]


def _platform_data_map_tables() -> dict[str, registry.Declaration]:
    # The public schema holds no enterprise tables: the declarations themselves say what exists.
    return {d.table: d for d in registry.table_declarations() if d.subject and d.fields}


def platform_data_map_tables() -> list[tuple[str, str, list[str]]]:
    """The data map's tables about people (every enterprise has them), for a platform incident."""
    return sorted((d.table, d.label, sorted({rule.category for rule in d.fields.values()}))
                  for d in _platform_data_map_tables().values())


def check_platform_data_choice(category: str, table: str) -> None:
    """Refuse (ValidationError naming the field) a table or category the data map does not offer."""
    _check_data_choice(category, table, _platform_data_map_tables())


def _check_data_choice(category: str, table: str, declarations: dict[str, registry.Declaration]) -> None:
    declaration = declarations.get(table)
    if declaration is None:
        raise ValidationError({"data_table": [_("Choose a table of the data map that holds people's data.")]})
    if category not in {rule.category for rule in declaration.fields.values()}:
        raise ValidationError({"data_category": [_("This table holds no data of this category.")]})


def _holds_a_value(model, name: str) -> Q:
    model_field = model._meta.get_field(name)
    present = Q(**{f"{name}__isnull": False})
    # Encrypted fields store an empty value as NULL; plain text and file fields as "".
    if model_field.get_internal_type() in ("CharField", "TextField", "FileField", "EmailField") \
            and not type(model_field).__name__.startswith("Encrypted"):
        present &= ~Q(**{name: ""})
    return present


def people_whose_data_was_in(*, category: str, table: str) -> list[int]:
    """X5: the accounts (ids) of everyone with a value of `category` in `table`, found through the data
    map: the table's declared fields of that category and its subject path to the person, as
    erasure.person_rows follows it. Refuses a table that is not about people, or holds no such data."""
    declarations = {d.table: d for d in tables_about_a_person() if d.subject and d.fields}
    _check_data_choice(category, table, declarations)
    declaration = declarations[table]
    holds_value = Q()
    for name, rule in declaration.fields.items():
        if rule.category == category:
            holds_value |= _holds_a_value(declaration.model, name)
    path = "pk" if declaration.subject == "self" else declaration.subject.replace(".", "__")
    ids = set(declaration.model.objects.filter(holds_value).values_list(path, flat=True)) - {None}
    return sorted(User.objects.filter(pk__in=ids, mobile_index__isnull=False).values_list("pk", flat=True))


def _people_of(incident: Incident) -> list[int]:
    if incident.audience == Incident.Audience.DATA:
        return people_whose_data_was_in(category=incident.data_category, table=incident.data_table)
    if incident.audience == Incident.Audience.DEPARTMENTS:
        paths = Department.objects.filter(pk__in=incident.department_ids).values_list("path", flat=True)
        within = Q(pk__in=[])
        for path in paths:
            within |= Q(department__path__startswith=path)
        # (An erased person's record has no login left: not told, not counted unreachable.)
        return list(Employee.objects.filter(within, account__mobile_index__isnull=False)
                    .values_list("account_id", flat=True))
    if incident.audience == Incident.Audience.LIST:
        return list(incident.affected.values_list("person_id", flat=True))
    # Everyone with an account here (an erased person's tombstone has no login left).
    return list(User.objects.exclude(role=User.Role.PLATFORM_STAFF).filter(mobile_index__isnull=False)
                .values_list("pk", flat=True))


# --- opening ----------------------------------------------------------------------------------

def open_incident(*, actor, kind: str, title: str, cause: str, possible_harm: str, measures_taken: str,
                  advice: str, remedies: str, contact: str, audience: str, occurred_on: date | None = None,
                  departments=(), people=(), data_category: str = "", data_table: str = "",
                  platform_reference: str = "") -> Incident:
    """X5: open an incident in this enterprise and start telling the people it affects (in Celery).

    `audience` chooses them: everyone, the `departments` (with everything below them), the listed
    `people`, or everyone whose data of `data_category` was in `data_table` (the data map). A
    platform incident's copy names its `platform_reference` (opening it twice returns the first).
    Refuses an actor without HANDLE_SECURITY_INCIDENTS (NotPermitted), the public schema, a missing or
    too long text, an unknown type or audience, an empty choice of people (ValidationError naming
    the field).
    """
    require(actor, Capability.HANDLE_SECURITY_INCIDENTS)
    if connection.schema_name == get_public_schema_name():
        raise ValidationError(_("An enterprise's incident is opened in the enterprise."))
    if platform_reference:
        existing = Incident.objects.filter(platform_reference=platform_reference).first()
        if existing is not None:
            return existing
    text = _clean_text({"kind": kind, "title": title, "cause": cause, "possible_harm": possible_harm,
                        "measures_taken": measures_taken, "advice": advice, "remedies": remedies, "contact": contact})
    department_ids, person_ids = [], []
    if audience == Incident.Audience.DEPARTMENTS:
        department_ids = sorted({getattr(d, "pk", d) for d in departments})
        if not department_ids or Department.objects.filter(pk__in=department_ids).count() != len(department_ids):
            raise ValidationError({"departments": [_("Choose at least one department.")]})
    elif audience == Incident.Audience.LIST:
        person_ids = sorted({getattr(p, "pk", p) for p in people})
        if not person_ids or User.objects.filter(pk__in=person_ids).count() != len(person_ids):
            raise ValidationError({"people": [_("Choose at least one person.")]})
    elif audience == Incident.Audience.DATA:
        _check_data_choice(data_category, data_table,
                           {d.table: d for d in tables_about_a_person() if d.subject and d.fields})
    elif audience != Incident.Audience.ENTERPRISE:
        raise ValidationError({"audience": [_("Choose who is affected.")]})
    with transaction.atomic():
        incident = Incident.objects.create(
            reference=platform_reference or _new_reference(), platform_reference=platform_reference, kind=kind,
            occurred_on=occurred_on, audience=audience, department_ids=department_ids,
            data_category=data_category if audience == Incident.Audience.DATA else "",
            data_table=data_table if audience == Incident.Audience.DATA else "",
            opened_by=account_of(actor), **text)
        AffectedPerson.objects.bulk_create([AffectedPerson(incident=incident, person_id=pk) for pk in person_ids])
        _step(incident, "opened", actor=actor, note=incident.get_audience_display())
        _queue(incident)
    return incident


def _queue(incident: Incident) -> None:
    # Found by its registered name: incidents.tasks sits above the services it calls.
    task = current_app.tasks["incidents.tasks.continue_incident"]
    transaction.on_commit(lambda: task.delay(incident.pk))


def open_platform_incident(*, actor, enterprises, kind: str, title: str, cause: str, possible_harm: str,
                           measures_taken: str, advice: str, remedies: str, contact: str, audience: str,
                           occurred_on: date | None = None, data_category: str = "",
                           data_table: str = "") -> Incident:
    """X5: platform staff open an incident affecting `enterprises` (the Django admin, public schema);
    each enterprise gets its copy in its own schema, where its people are found and told.

    Refuses an actor without HANDLE_SECURITY_INCIDENTS, the call outside the public schema, no
    enterprise, an audience other than everyone or the data map, and what `open_incident` refuses.
    """
    require(actor, Capability.HANDLE_SECURITY_INCIDENTS)
    if connection.schema_name != get_public_schema_name():
        raise ValidationError(_("A platform incident is opened on the platform."))
    text = _clean_text({"kind": kind, "title": title, "cause": cause, "possible_harm": possible_harm,
                        "measures_taken": measures_taken, "advice": advice, "remedies": remedies, "contact": contact})
    enterprises = list(enterprises)
    if not enterprises:
        raise ValidationError({"enterprises": [_("Choose at least one enterprise.")]})
    if audience not in PLATFORM_AUDIENCES:
        raise ValidationError({"audience": [_("Choose everyone in the enterprises, or the data map.")]})
    if audience == Incident.Audience.DATA:
        check_platform_data_choice(data_category, data_table)
    with transaction.atomic():
        incident = Incident.objects.create(
            reference=_new_reference(), kind=kind, occurred_on=occurred_on, audience=audience,
            data_category=data_category if audience == Incident.Audience.DATA else "",
            data_table=data_table if audience == Incident.Audience.DATA else "",
            opened_by=account_of(actor), status=Incident.Status.TELLING, **text)
        AffectedEnterprise.objects.bulk_create([
            AffectedEnterprise(incident=incident, schema=enterprise.schema_name, enterprise_title=enterprise.name)
            for enterprise in enterprises])
        _step(incident, "opened", actor=actor, note=", ".join(e.name for e in enterprises))
        relay = current_app.tasks["incidents.tasks.open_platform_incident_copy"]
        for enterprise in enterprises:
            transaction.on_commit(lambda schema=enterprise.schema_name: _send_in_schema(schema, relay, incident.reference))
    return incident


def _send_in_schema(schema: str, task, *args) -> None:
    # tenant-schemas-celery stamps the message with the schema the connection is in when sent.
    with schema_context(schema):
        task.delay(*args)


def open_platform_incident_copy(*, actor, reference: str) -> Incident:
    """This enterprise's copy of platform incident `reference` (idempotent), queued for telling."""
    with schema_context(get_public_schema_name()):
        source = Incident.objects.get(reference=reference)
    return open_incident(
        actor=actor, platform_reference=source.reference, kind=source.kind, title=source.title, cause=source.cause,
        possible_harm=source.possible_harm, measures_taken=source.measures_taken, advice=source.advice,
        remedies=source.remedies, contact=source.contact, audience=source.audience, occurred_on=source.occurred_on,
        data_category=source.data_category, data_table=source.data_table)


# --- finding and telling people ----------------------------------------------------------------

def resolve_affected(*, actor, incident: Incident) -> int:
    """Find the people `incident` affects (once; a repeated call returns the count found)."""
    require(actor, Capability.HANDLE_SECURITY_INCIDENTS)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.resolved_at is not None:
            return incident.affected_count
        ids = _people_of(incident)
        today = timezone.localdate()
        minors = set(User.objects.filter(pk__in=ids, minor_until__gt=today).values_list("pk", flat=True))
        AffectedPerson.objects.bulk_create(
            [AffectedPerson(incident=incident, person_id=pk, is_minor=pk in minors) for pk in ids],
            ignore_conflicts=True)
        AffectedPerson.objects.filter(incident=incident, person_id__in=minors).update(is_minor=True)
        incident.affected_count = incident.affected.count()
        incident.resolved_at = timezone.now()
        incident.status = Incident.Status.TELLING
        incident.save(update_fields=["affected_count", "resolved_at", "status"])
        _step(incident, "people_found", actor=actor, note=str(incident.affected_count), fields=["affected_count"])
    return incident.affected_count


def notice_subject(incident: Incident) -> str:
    return _("Personal information security incident: %(title)s") % {"title": incident.title}


def notice_body(incident: Incident, *, about: str = "") -> str:
    """What every affected person (and a minor's guardian, `about` naming the minor) is told: the
    items the policy lists."""
    lines = [_("This concerns %(name)s, for whom you are the guardian.") % {"name": about}] if about else []
    lines += [
        f"{_('Type')}: {incident.get_kind_display()}",
        f"{_('Cause')}: {incident.cause}",
        f"{_('Possible harm')}: {incident.possible_harm}",
        f"{_('Measures taken')}: {incident.measures_taken}",
        f"{_('What you can do')}: {incident.advice}",
        f"{_('Remedies')}: {incident.remedies}",
        f"{_('Contact')}: {incident.contact}",
    ]
    return "\n\n".join(lines)


def _guardian_channel(person: User) -> tuple[str, str] | None:
    """(channel, address) of a minor's guardian, from the guardian's consent in force (M1), or None."""
    consent = guardian_consent_of(person)
    contact = (consent.contact if consent else "").strip()
    if not contact:
        return None
    try:
        return Delivery.Channel.SMS, normalize_mainland_mobile(contact)
    except ValidationError:
        pass
    try:
        validate_email(contact)
        return Delivery.Channel.EMAIL, contact
    except ValidationError:
        return None


def plan_deliveries(*, actor, incident: Incident) -> int:
    """Leave each affected person's in-app message and plan their e-mail and text message (and their
    guardian's, for a minor); once per person. Returns how many people were planned now."""
    require(actor, Capability.HANDLE_SECURITY_INCIDENTS)
    planned = 0
    for affected_id in incident.affected.filter(planned_at__isnull=True).values_list("pk", flat=True):
        with transaction.atomic():
            affected = AffectedPerson.objects.select_for_update(skip_locked=True).select_related("person") \
                .filter(pk=affected_id, planned_at__isnull=True).first()
            if affected is None:
                continue
            person, now = affected.person, timezone.now()
            inbox.deliver(person=person, subject=notice_subject(incident), body=notice_body(incident),
                          topic=inbox.Topic.INCIDENT, email=False)
            rows = [Delivery(affected=affected, channel=Delivery.Channel.INBOX, status=Delivery.Status.SENT,
                             attempts=1, sent_at=now)]
            if inbox.email_of(person):
                rows.append(Delivery(affected=affected, channel=Delivery.Channel.EMAIL, next_attempt_at=now))
            if person.mobile:
                rows.append(Delivery(affected=affected, channel=Delivery.Channel.SMS, next_attempt_at=now))
            guardian = _guardian_channel(person) if affected.is_minor else None
            if guardian is not None:
                rows.append(Delivery(affected=affected, channel=guardian[0], recipient=Delivery.Recipient.GUARDIAN,
                                     next_attempt_at=now))
            Delivery.objects.bulk_create(rows)
            affected.planned_at = now
            affected.save(update_fields=["planned_at"])
            record_event(action="incident_notices_planned", object_type="incidents.affectedperson",
                         object_id=affected.pk, changed_fields=[f"{row.recipient}:{row.channel}" for row in rows],
                         actor=Actor.for_user(actor))
            planned += 1
    return planned


def _enterprise_title() -> str:
    return current_enterprise().name


def _send(delivery: Delivery, incident: Incident) -> None:
    """Send one message; raises when it did not go (the reason is its exception's class)."""
    person = delivery.affected.person
    to_guardian = delivery.recipient == Delivery.Recipient.GUARDIAN
    guardian = _guardian_channel(person) if to_guardian else None
    if delivery.channel == Delivery.Channel.EMAIL:
        address = guardian[1] if guardian else ("" if to_guardian else inbox.email_of(person))
        if not address:
            raise LookupError("no_address")
        about = person.display_name if to_guardian else ""
        send_mail(notice_subject(incident), notice_body(incident, about=about), None, [address], fail_silently=False)
        return
    params = {"enterprise": _enterprise_title(), "title": incident.title[:60], "contact": incident.contact[:60]}
    if to_guardian:
        if guardian is None:
            raise LookupError("no_address")
        sms.send_sms(person=person, message_kind="incident_guardian_notice", mobile=guardian[1],
                     params={**params, "name": person.display_name})
    else:
        if not person.mobile:
            raise LookupError("no_address")
        sms.send_sms(person=person, message_kind="incident_notice", params=params)


def _retry_delay(attempts: int) -> timedelta | None:
    """How long after failed attempt number `attempts` the next one is due; None: no more."""
    minutes = settings.INCIDENT_RETRY_MINUTES
    return timedelta(minutes=minutes[attempts - 1]) if attempts <= len(minutes) else None


def send_due_deliveries(*, actor, incident: Incident) -> int:
    """Try every pending message of `incident` that is due: sent, or failed and retried later
    (settings.INCIDENT_RETRY_MINUTES), or failed for good once its retries ran out. Each attempt is
    recorded on its row and in the audit log. Returns how many are still pending."""
    require(actor, Capability.HANDLE_SECURITY_INCIDENTS)
    due = Delivery.objects.filter(affected__incident=incident, status=Delivery.Status.PENDING,
                                  next_attempt_at__lte=timezone.now()).values_list("pk", flat=True)
    for delivery_id in list(due):
        with transaction.atomic():
            # Another worker holding the row is sending it: skipped, never sent twice.
            delivery = Delivery.objects.select_for_update(skip_locked=True).select_related("affected__person") \
                .filter(pk=delivery_id, status=Delivery.Status.PENDING).first()
            if delivery is None:
                continue
            delivery.attempts += 1
            try:
                _send(delivery, incident)
            except (sms.SmsNotSent, SMTPException, OSError, LookupError) as error:
                delay = None if isinstance(error, LookupError) else _retry_delay(delivery.attempts)
                delivery.failure = (str(error) if isinstance(error, LookupError) else type(error).__name__)[:100]
                if delay is None:
                    delivery.status = Delivery.Status.FAILED
                else:
                    delivery.next_attempt_at = timezone.now() + delay
                action = "incident_notice_failed"
            else:
                delivery.status, delivery.sent_at, delivery.failure = Delivery.Status.SENT, timezone.now(), ""
                action = "incident_notice_sent"
            delivery.save(update_fields=["attempts", "status", "next_attempt_at", "failure", "sent_at"])
            record_event(action=action, object_type="incidents.delivery", object_id=delivery.pk,
                         changed_fields=[delivery.recipient, delivery.channel, delivery.status],
                         actor=Actor.for_user(actor))
    return Delivery.objects.filter(affected__incident=incident, status=Delivery.Status.PENDING).count()


# --- counting, announcing, reporting ----------------------------------------------------------

def finish_if_told(*, actor, incident: Incident) -> bool:
    """Once nothing is pending: count who was reached and who could not be, announce publicly when
    anyone could not be (X5), write the regulator report, and (for a platform incident's copy)
    report the counts to the platform. False while messages are still pending."""
    require(actor, Capability.HANDLE_SECURITY_INCIDENTS)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.told_at is not None:
            return True
        if incident.resolved_at is None or incident.affected.filter(planned_at__isnull=True).exists() or \
                Delivery.objects.filter(affected__incident=incident, status=Delivery.Status.PENDING).exists():
            return False
        outside_the_app = Q(deliveries__status=Delivery.Status.SENT,
                            deliveries__channel__in=[Delivery.Channel.EMAIL, Delivery.Channel.SMS])
        reached = incident.affected.filter(outside_the_app).distinct().values_list("pk", flat=True)
        now = timezone.now()
        incident.affected.filter(pk__in=list(reached)).update(is_reached=True, counted_at=now)
        incident.affected.filter(counted_at__isnull=True).update(is_reached=False, counted_at=now)
        incident.reached_count = incident.affected.filter(is_reached=True).count()
        incident.unreachable_count = incident.affected.filter(is_reached=False).count()
        incident.guardians_told = incident.affected.filter(
            deliveries__recipient=Delivery.Recipient.GUARDIAN, deliveries__status=Delivery.Status.SENT).distinct().count()
        incident.status, incident.told_at = Incident.Status.TOLD, now
        incident.save(update_fields=["reached_count", "unreachable_count", "guardians_told", "status", "told_at"])
        _step(incident, "counted", actor=actor, fields=["reached_count", "unreachable_count", "guardians_told"],
              note=_("%(reached)d reached, %(unreachable)d could not be reached, %(guardians)d guardians told") % {
                  "reached": incident.reached_count, "unreachable": incident.unreachable_count,
                  "guardians": incident.guardians_told})
        title = _enterprise_title()
        if incident.unreachable_count > 0:
            _announce(incident, actor=actor, enterprise_title=title)
        write_report(actor=actor, incident=incident, enterprise_title=title)
        if incident.platform_reference:
            _report_to_platform(incident, actor=actor)
    return True


def _announcement_values(incident: Incident, *, enterprise_title: str, unreachable: int) -> dict:
    return {"enterprise_title": enterprise_title, "kind": incident.kind, "title": incident.title,
            "possible_harm": incident.possible_harm, "measures_taken": incident.measures_taken,
            "advice": incident.advice, "remedies": incident.remedies, "contact": incident.contact,
            "unreachable_count": unreachable}


def _announce(incident: Incident, *, actor, enterprise_title: str) -> None:
    """X5: the public announcement on the platform host, for the people who could not be told."""
    if incident.platform_reference:
        return  # the platform announces its incident once, for every enterprise (_report_to_platform)
    with schema_context(get_public_schema_name()):
        PublicAnnouncement.objects.update_or_create(
            reference=f"{connection.schema_name}/{incident.reference}",
            defaults=_announcement_values(incident, enterprise_title=enterprise_title,
                                          unreachable=incident.unreachable_count))
    incident.announced_at = timezone.now()
    incident.save(update_fields=["announced_at"])
    _step(incident, "announced", actor=actor, note=str(incident.unreachable_count), fields=["announced_at"])


def _report_to_platform(incident: Incident, *, actor) -> None:
    """A platform incident's copy is told: its counts go to the platform incident; once every
    enterprise is told, the platform counts, announces (when anyone could not be reached) and reports."""
    schema = connection.schema_name
    with schema_context(get_public_schema_name()):
        # Lock order: the platform incident's row before its enterprises' rows.
        source = Incident.objects.select_for_update().get(reference=incident.platform_reference)
        AffectedEnterprise.objects.filter(incident=source, schema=schema).update(
            affected_count=incident.affected_count, reached_count=incident.reached_count,
            unreachable_count=incident.unreachable_count, guardians_told=incident.guardians_told,
            told_at=timezone.now())
        TimelineStep.objects.create(incident=source, step="enterprise_counted", actor_label=actors.label(actor),
                                    note=f"{schema}: {incident.reached_count}/{incident.affected_count}")
        rows = list(source.enterprises.all())
        if any(row.told_at is None for row in rows):
            return
        source.affected_count = sum(row.affected_count for row in rows)
        source.reached_count = sum(row.reached_count for row in rows)
        source.unreachable_count = sum(row.unreachable_count for row in rows)
        source.guardians_told = sum(row.guardians_told for row in rows)
        source.status, source.told_at = Incident.Status.TOLD, timezone.now()
        source.save(update_fields=["affected_count", "reached_count", "unreachable_count", "guardians_told",
                                   "status", "told_at"])
        TimelineStep.objects.create(incident=source, step="counted", actor_label=actors.label(actor),
                                    note=f"{source.reached_count}/{source.affected_count}")
        if source.unreachable_count > 0:
            PublicAnnouncement.objects.update_or_create(
                reference=source.reference,
                defaults=_announcement_values(source, enterprise_title=_("the platform"),
                                              unreachable=source.unreachable_count))
            source.announced_at = timezone.now()
            source.save(update_fields=["announced_at"])
            TimelineStep.objects.create(incident=source, step="announced", actor_label=actors.label(actor),
                                        note=str(source.unreachable_count))
        write_report(actor=actor, incident=source, enterprise_title=_("the platform"),
                     enterprises=[(row.enterprise_title, row.affected_count, row.reached_count,
                                   row.unreachable_count) for row in rows])


def write_report(*, actor, incident: Incident, enterprise_title: str, enterprises=()) -> Incident:
    """The regulator report (PDF): the policy's items, the timeline and the counts, kept with the
    incident (a rewrite replaces the earlier file)."""
    require(actor, Capability.HANDLE_SECURITY_INCIDENTS)
    content = report.render(incident, enterprise_title=enterprise_title, timeline=list(incident.timeline.all()),
                            enterprises=list(enterprises))
    earlier = incident.report_file.name
    incident.report_file.save(f"{incident.reference}.pdf", ContentFile(content), save=False)
    incident.report_written_at = timezone.now()
    incident.save(update_fields=["report_file", "report_written_at"])
    if earlier:
        transaction.on_commit(lambda: default_storage.delete(earlier))
    _step(incident, "report_written", actor=actor, fields=["report_file"])
    return incident


def record_report_download(*, actor, incident: Incident) -> None:
    """The report was handed to `actor` (console or admin): a timeline step and an audit entry."""
    require(actor, Capability.HANDLE_SECURITY_INCIDENTS)
    if not is_system_actor(actor):
        _step(incident, "report_downloaded", actor=actor)
