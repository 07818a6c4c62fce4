"""Due dates of rights requests (R2, R5, R8, R10) on the official mainland-China calendar.

Working days are those of the State Council's yearly holiday arrangement, make-up working days
(调休) included, read from the maintained `chinese_calendar` package. For a year the package does
not cover yet (the arrangement is published each November or December), Monday to Friday count as
working days. Holidays then count as working days (a due date comes earlier), but a weekend make-up
day cannot be known in advance and is not counted (a due date can come one or two days later). Such
dates are marked estimated (RightsRequest.dates_estimated, with a warning in the log naming only the
year) and recounted by the periodic deadline job once the installed package covers the year
(rights.services.recount_estimated_dates).
"""
from __future__ import annotations

import logging
from datetime import date, timedelta

import chinese_calendar

logger = logging.getLogger(__name__)

# Calendar days to answer (R2, R8: 15 days), working days for the rest.
ANSWER_DAYS = 15
ACCOUNT_CANCELLED_WORKING_DAYS = 1  # R5: the account is cancelled within 1 working day
INFORMATION_ERASED_WORKING_DAYS = 7  # R5: personal information erased within 7 working days
COMPLAINT_WORKING_DAYS = 15  # R10: the PI protection contact replies within 15 working days
# Open requests this close to their date (or past it) are escalated and shown in the console's banner.
ESCALATION_WORKING_DAYS = 2


def calendar_covers(day: date) -> bool:
    """Whether the installed calendar knows the official arrangement of `day`'s year."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:  # a year the official arrangement is not published for yet
        return False
    return True


def is_working_day(day: date) -> bool:
    if calendar_covers(day):
        return chinese_calendar.is_workday(day)
    return day.weekday() < 5


def working_days_after(start: date, count: int) -> date:
    """The `count`-th working day after `start` (the day of submission does not count)."""
    day, left = start, count
    while left:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def escalation_horizon(today: date) -> date:
    """The last date a request may be watched for to count as due soon on `today`."""
    return working_days_after(today, ESCALATION_WORKING_DAYS)


def due_dates(kind: str, submitted_on: date) -> tuple[date, date | None]:
    """(answer due, information erased by) for a request of `kind` submitted on `submitted_on`.

    An account cancellation is due (the account cancelled) 1 working day after submission and the
    information erased within 7; a complaint is answered within 15 working days; everything else
    within 15 days.
    """
    from rights.models import RightsRequest

    if kind == RightsRequest.Kind.ACCOUNT_CANCELLATION:
        return (working_days_after(submitted_on, ACCOUNT_CANCELLED_WORKING_DAYS),
                working_days_after(submitted_on, INFORMATION_ERASED_WORKING_DAYS))
    if kind == RightsRequest.Kind.COMPLAINT:
        return working_days_after(submitted_on, COMPLAINT_WORKING_DAYS), None
    return submitted_on + timedelta(days=ANSWER_DAYS), None


def counted_due_dates(kind: str, submitted_on: date) -> tuple[date, date | None, bool]:
    """`due_dates`, and whether they are estimated: counted in working days reaching into a year the
    installed calendar does not cover (Monday to Friday were counted). An estimate is logged as a
    warning naming the year and the kind of request, nothing about the person."""
    due_on, erase_by = due_dates(kind, submitted_on)
    estimated = not covered(kind, submitted_on)
    if estimated:
        logger.warning("rights deadlines: no official calendar for %s yet; %s dates counted Monday to Friday",
                       (erase_by or due_on).year, kind)
    return due_on, erase_by, estimated


def covered(kind: str, submitted_on: date) -> bool:
    """Whether the dates of a request of `kind` submitted on `submitted_on` are counted on the official
    calendar (calendar days, or working days the installed calendar covers)."""
    from rights.models import RightsRequest

    if kind not in (RightsRequest.Kind.ACCOUNT_CANCELLATION, RightsRequest.Kind.COMPLAINT):
        return True  # 15 calendar days
    due_on, erase_by = due_dates(kind, submitted_on)
    return calendar_covers(erase_by or due_on)
