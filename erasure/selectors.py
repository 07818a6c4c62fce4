"""What the erasure engine shows: the erasure certificate (issue 12, R4/R5) and minors' cases (M2)."""
from __future__ import annotations

import hashlib
import json

from django.db.models import QuerySet
from django.http import Http404

from access.capabilities import Capability, may
from erasure.models import ErasureJob, ErasureStep, MinorCase
from erasure.person_rows import tables_about_a_person
from privacy.registry import MINIMUM_RETENTION_MONTHS, Erasure, RetentionClass, declarations

CERTIFICATE_VERSION = 1



def erasure_jobs_visible_to(actor) -> QuerySet[ErasureJob]:
    """The manager sees every erasure job and certificate; anyone else the ones they requested."""
    if may(actor, Capability.SEE_EVERY_ERASURE):
        return ErasureJob.objects.all()
    return ErasureJob.objects.filter(requested_by_id=getattr(actor, "pk", None))


def erasure_job_visible_to(actor, pk) -> ErasureJob:
    """One job `actor` may see; to anyone else it does not exist (Http404)."""
    job = erasure_jobs_visible_to(actor).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job

def open_minor_cases() -> QuerySet[MinorCase]:
    """M2: the cases still to verify, oldest first, with the person's address-book record. A person
    whose information is already being erased (by another request) has nothing left to verify."""
    return (MinorCase.objects.filter(status=MinorCase.Status.OPEN)
            .exclude(person_id__in=ErasureJob.objects.values("person_id"))
            .select_related("person", "person__employee", "reported_by"))


def open_minor_case(pk) -> MinorCase:
    """One case still to verify (Http404 for any other: decided ones are not decided again)."""
    case = open_minor_cases().filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


def _retention(rule) -> dict:
    return {"retention_class": rule.retention, "minimum_months": MINIMUM_RETENTION_MONTHS[rule.retention],
            "clock_starts_at": rule.retention_starts or None}


def _kept_item(label: str, by_label: dict, kept_until: dict) -> dict:
    # R4: until when, as the erasure computed it from the person's rows (None: as long as the
    # purpose needs, or a job recorded before the date was kept).
    return {**_kept_rule(label, by_label), "kept_until": kept_until.get(label)}


def _kept_rule(label: str, by_label: dict) -> dict:
    # "app.Model" (the whole row, kept by law) or "app.Model.field" (one field of an anonymised row).
    declaration = by_label.get(label)
    if declaration is None:
        table, _, field = label.rpartition(".")
        declaration = by_label.get(table)
        if declaration is None or field not in declaration.fields:
            return {"kept": label}
    else:
        field = ""
    if not field:
        rules = [rule for rule in declaration.fields.values() if rule.retention != RetentionClass.PURPOSE]
        longest = max(rules, key=lambda rule: MINIMUM_RETENTION_MONTHS[rule.retention], default=None)
        retention = _retention(longest) if longest else {"retention_class": RetentionClass.PURPOSE,
                                                          "minimum_months": None, "clock_starts_at": None}
        return {"kept": label, **retention, "then": "deleted by the retention job"}
    return {"kept": label, **_retention(declaration.fields[field]), "then": "anonymised by the retention job"}


def erasure_certificate(job: ErasureJob) -> dict:
    """The certificate of one erasure job: who asked (as the audit log names actors), why, when,
    what each step did per table (deleted, anonymised) and what is kept, under which retention
    class, from which date's clock and until which day (the class's configured period after the
    person's latest clock value, computed as the job erased), the residue scan's result, and the audit chain's head as the
    job finished, so the certificate is hash-linked to the audit log. It names no person: the
    erased person is a tombstone id. `sha256` covers the canonical JSON of every other key."""
    by_label = {declaration.label: declaration for declaration in declarations()}
    steps = {step.name: step for step in job.steps.all()}
    deleted, anonymised = {}, {}
    rows = steps.get("rows_by_data_map")
    kept_until = rows.counts.get("kept_until", {}) if rows else {}
    for label, count in (rows.counts.get("rows", {}) if rows else {}).items():
        declaration = by_label.get(label)
        (deleted if declaration is None or declaration.erasure == Erasure.DELETE else anonymised)[label] = count
    consent = steps.get("consent_records")
    if consent and consent.counts.get("consent_records_deleted"):
        deleted["consent records (consent.services.erasure)"] = consent.counts["consent_records_deleted"]
    files = steps.get("stored_files")
    scan = steps.get("residue_scan")
    scan_counts = scan.counts if scan else {}
    body = {
        "certificate_version": CERTIFICATE_VERSION,
        "job": job.pk,
        "status": job.status,
        "person": f"user:{job.person_id}",
        "reason": job.reason,
        "requested_at": job.created_at.isoformat(),
        "requested_by": f"user:{job.requested_by_id}" if job.requested_by_id else f"system:{job.requested_by_system}",
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "steps": [{"name": step.name, "status": step.status,
                   "finished_at": step.finished_at.isoformat() if step.finished_at else None}
                  for step in steps.values()],
        "deleted": deleted,
        "anonymised": anonymised,
        "files_deleted": files.counts.get("files_deleted", 0) if files else 0,
        "key_destroyed": bool(steps.get("destroy_key") and steps["destroy_key"].status == ErasureStep.Status.DONE),
        "kept": [_kept_item(label, by_label, kept_until) for label in job.kept],
        # Rows whose values were encrypted under the person's key: unreadable once it was destroyed,
        # the rows themselves stay until their retention class ends (per the data map).
        "crypto_shredded": [{"field": f"{declaration.label}.{name}", **_retention(rule),
                             "kept_until": kept_until.get(f"{declaration.label}.{name}"),
                             "then": "deleted by the retention job"}
                            for declaration in tables_about_a_person()
                            for name, rule in declaration.fields.items() if rule.erasure == Erasure.CRYPTO_SHRED],
        "residue_scan": {"status": scan.status if scan else None, "residue": job.residue},
        "audit_chain_head": scan_counts.get("audit_chain_head"),
    }
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return {**body, "sha256": hashlib.sha256(canonical.encode("utf-8")).hexdigest()}
