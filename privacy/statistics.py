"""S3: the one small-cell suppression rule for counts of people that leave the platform.

A count of people per group (the enterprise's headcount, how many people consent to a purpose) is
anonymised data only when nobody can be singled out by it. Every aggregate the product sends or
shows goes through this module: `headcount` (accounts.selectors, sent by the `enterprise_headcount`
task) and consent coverage (consent.selectors, the console's privacy overview).

The rule:

- **Small cells.** A count below `MINIMUM_CELL` (5) people — zero included — is never given; the
  marker `"<5"` stands in for it. Zero is suppressed too: "0 of 20 consent" tells, of every one of
  the 20, what they answered (a disclosure about the whole group), exactly as "20 of 20" would.
- **Complementary suppression.** A count shown next to its total (`part_of`) has a silent second
  cell, the rest: total − count. When the rest is a small cell, giving the count would reveal it by
  subtraction, so the count is given as a range instead, `">N"` with N = total − 5 (the rest is then
  known only to be fewer than 5). The total itself is not hidden: the same enterprise's headcount is
  known elsewhere, so hiding the count is the only protection that holds.
- Ranges, not made-up numbers: what is shown is always true, only less precise.

Limits, stated rather than hidden: rows for different purposes count overlapping people, and the
difference between two of them (a purpose and one that requires it) is not suppressed; counts
shown to an administrator about people whose rows that same administrator may read one by one (the
console dashboard, department and position sizes) tell them nothing new and never leave the
platform, so they are not suppressed.
"""
from __future__ import annotations

MINIMUM_CELL = 5

# What a suppressed count is shown as: a string, so that templates and JSON (Celery results,
# API responses) carry it as it is.
Cell = int | str


def cell(count: int) -> Cell:
    """`count` as it may leave the platform: the number when it counts at least MINIMUM_CELL
    people, otherwise the marker "<5"."""
    if count < MINIMUM_CELL:
        return f"<{MINIMUM_CELL}"
    return count


def part_of(count: int, *, total: int) -> Cell:
    """`count` of `total` people, when the total is given too: a small count is "<5", and a count
    whose rest (total − count) is a small cell is the range ">N" (N = total − 5), so that
    total − count never reveals a small cell."""
    if count < MINIMUM_CELL:
        return cell(count)
    if total - count < MINIMUM_CELL:
        return f">{total - MINIMUM_CELL}"
    return count
