"""S2: how long each kind of record is kept, and the legal minimums nobody may configure below.

Periods are months (the logs are partitioned by month). `settings.RETENTION_MONTHS` names a period
for each retention setting; each setting belongs to a retention class of privacy.registry, whose
legal minimum it may not undercut:

- access_log  (class access_log):  the per-request access log; network logs ≥ 6 months.
- audit_log   (class access_log):  the audit log; Q 2(2)3 counts data-change operation logs
  among the network logs, so ≥ 6 months too.
- login_log   (class access_log):  django-axes' login records (successes and failure counters).
- transaction (class transaction): transaction records ≥ 3 years.
- employment_record (class purpose, with a legal minimum of its own): a leaver's employment record
  (orgdata.Employee, clock `left_at`) is kept 2 years (Implementing Regulations of the Labour
  Contract Law, art. 50: a terminated contract is kept at least 2 years), then the erasure engine
  erases the whole person (erasure.services.erase_leavers_past_retention), not a row rule here.

The row rules are derived from the data map (privacy.registry): every table whose personal fields
declare a retention class with a legal period and the field that starts its clock expires by the
same job (attendance check-ins: transaction; axes' login records: login_log). The two partitioned
logs are removed by month instead (audit.services). Records of the class "purpose" are kept only
as long as their purpose needs: the app that owns them removes them when the purpose ends (an
account is cancelled, consent is withdrawn).
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from audit.partitions import PARTITIONED_TABLES
from privacy import registry
from privacy.registry import MINIMUM_RETENTION_MONTHS, Erasure, RetentionClass

# Retention setting → its class. The keys are what settings.RETENTION_MONTHS may name.
SETTING_CLASSES = {
    "access_log": RetentionClass.ACCESS_LOG,
    "audit_log": RetentionClass.ACCESS_LOG,
    "login_log": RetentionClass.ACCESS_LOG,
    "transaction": RetentionClass.TRANSACTION,
    # Issue 12 §3: kept for its purpose (HR records), whose period the law sets; no row rule
    # derives from it (the erasure engine erases the leaver as a whole).
    "employment_record": RetentionClass.PURPOSE,
}

# Legal minimums of settings whose class has none of its own (months).
SETTING_MINIMUM_MONTHS = {"employment_record": 24}

# The setting of a class when a field's declaration names none (PI.retention_setting).
CLASS_SETTINGS = {RetentionClass.ACCESS_LOG: "access_log", RetentionClass.TRANSACTION: "transaction"}

DEFAULT_MONTHS = {"access_log": 6, "audit_log": 12, "login_log": 6, "transaction": 36, "employment_record": 24}


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` months earlier (the 31st becomes the month's last day)."""
    index = moment.year * 12 + (moment.month - 1) - months
    year, month = index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def months_after(moment, months: int):
    """The same day and time `months` months later (the 31st becomes the month's last day)."""
    return months_before(moment, -months)


def setting_of(rule: registry.PI) -> str | None:
    """The RETENTION_MONTHS key that sets how long `rule`'s value is kept; None for the class
    "purpose" (kept as long as its purpose needs: no date to state)."""
    has_period = rule.retention != RetentionClass.PURPOSE
    return (rule.retention_setting or CLASS_SETTINGS[rule.retention]) if has_period else None


def kept_until(rule: registry.PI, clock_value, *, months: dict[str, int] | None = None):
    """R4/S2: the day the retention of a value declared by `rule` ends, for a row whose clock field
    (`rule.retention_starts`) reads `clock_value` (a datetime or a date): the configured period
    after it. On its first run after that day the retention job removes or anonymises the row.
    None when the class has no legal period or the clock is empty."""
    setting = setting_of(rule)
    if setting is None or clock_value is None:
        return None
    ends = months_after(clock_value, (months or retention_months())[setting])
    return ends.date() if isinstance(ends, datetime) else ends


def retention_months() -> dict[str, int]:
    """The configured periods, checked against the legal minimums.

    Raises ImproperlyConfigured for an unknown setting, a non-integer, or a period below its
    class's legal minimum: a retention job must never run with such a configuration.
    """
    configured = {**DEFAULT_MONTHS, **getattr(settings, "RETENTION_MONTHS", {})}
    errors = []
    for key, months in configured.items():
        if key not in SETTING_CLASSES:
            errors.append(f"RETENTION_MONTHS[{key!r}]: unknown retention setting")
            continue
        # S2: the legal minimums live with the retention classes, in privacy.registry.
        minimum = SETTING_MINIMUM_MONTHS.get(key) or MINIMUM_RETENTION_MONTHS[SETTING_CLASSES[key]] or 0
        if not isinstance(months, int) or isinstance(months, bool):
            errors.append(f"RETENTION_MONTHS[{key!r}] must be a whole number of months")
        elif months < minimum:
            errors.append(f"RETENTION_MONTHS[{key!r}] = {months} is below the legal minimum of {minimum} "
                          f"months for {SETTING_CLASSES[key].label if key not in SETTING_MINIMUM_MONTHS else key}")
    if errors:
        raise ImproperlyConfigured("; ".join(errors))
    return configured


@dataclass(frozen=True)
class RowRule:
    """Rows of `model` expire `months` after `timestamp_field`; then they are deleted or anonymised.

    For Erasure.ANONYMISE, `anonymise(queryset) -> int` overwrites `anonymised_fields` of the rows
    it is given and returns how many it changed, and `anonymised_lookup` (filter keyword
    arguments) matches rows already anonymised, so that they are not selected again.
    """

    label: str
    model_label: str
    timestamp_field: str
    setting: str
    erasure: str = Erasure.DELETE
    anonymise: Callable | None = None
    anonymised_fields: tuple[str, ...] = ()
    anonymised_lookup: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.setting not in SETTING_CLASSES:
            raise ImproperlyConfigured(f"retention rule {self.label!r}: unknown setting {self.setting!r}")
        if self.erasure == Erasure.ANONYMISE and not (self.anonymise and self.anonymised_lookup):
            raise ImproperlyConfigured(f"retention rule {self.label!r}: anonymising needs anonymise() "
                                       "and anonymised_lookup")

    @property
    def model(self):
        return apps.get_model(self.model_label)


def derived_row_rules() -> list[RowRule]:
    """S2: one rule per table and clock, from the data map's field declarations.

    A table's personal fields with a class that has a legal period are grouped by (setting, clock);
    when the period has passed, the rows are anonymised if every field of the group states a
    replacement, and deleted otherwise. Raises ImproperlyConfigured for a setting of another class.
    """
    rules = []
    for declaration in registry.table_declarations():
        if declaration.table in PARTITIONED_TABLES or not declaration.model_label:
            continue  # the two logs go by month partition (audit.services)
        groups: dict[tuple[str, str], dict] = {}
        for name, rule in sorted(declaration.fields.items()):
            if rule.retention == RetentionClass.PURPOSE:
                continue
            setting = rule.retention_setting or CLASS_SETTINGS[rule.retention]
            if SETTING_CLASSES.get(setting) != rule.retention:
                raise ImproperlyConfigured(f"{declaration.label}.{name}: retention setting {setting!r} is not of "
                                           f"class {rule.retention!r}")
            groups.setdefault((setting, rule.retention_starts), {})[name] = rule
        for (setting, clock), fields in groups.items():
            label = declaration.title or declaration.label
            if len(groups) > 1:
                label = f"{label} ({clock})"
            rules.append(_rule_for(label, declaration.model_label, clock, setting, fields))
    return rules


def _rule_for(label: str, model_label: str, clock: str, setting: str, fields: dict) -> RowRule:
    if not all(rule.has_replacement for rule in fields.values()):
        return RowRule(label, model_label, clock, setting)
    replacements = {name: rule.replacement for name, rule in fields.items()}
    return RowRule(label, model_label, clock, setting, erasure=Erasure.ANONYMISE,
                   anonymise=lambda rows: rows.update(**replacements), anonymised_fields=tuple(replacements),
                   anonymised_lookup=replacements)


def row_rules() -> list[RowRule]:
    """Every row-level rule, derived from the data map."""
    return [rule for rule in derived_row_rules() if _model_exists(rule.model_label)]


def _model_exists(label: str) -> bool:
    try:
        apps.get_model(label)
    except LookupError:
        return False
    return True
