"""S3: the one small-cell rule (privacy.statistics), the calculation itself; the pages and the task
that use it are tested through their own paths (tests/consent/test_console.py,
tests/accounts/test_headcount.py)."""
import pytest

from privacy.statistics import MINIMUM_CELL, cell, part_of


@pytest.mark.promise("S3")
@pytest.mark.parametrize("count, shown", [(0, "<5"), (1, "<5"), (4, "<5"), (5, 5), (6, 6), (1000, 1000)])
def test_a_count_below_5_is_never_given(count, shown):
    assert MINIMUM_CELL == 5
    assert cell(count) == shown


@pytest.mark.promise("S3")
@pytest.mark.parametrize("count, total, shown", [
    (3, 20, "<5"),      # small itself
    (6, 20, 6),         # 6 consent, 14 do not: both cells 5 or more
    (15, 20, 15),       # the rest is exactly 5
    (16, 20, ">15"),    # the rest (4) would be revealed by 20 - 16
    (20, 20, ">15"),    # everyone: the rest is 0, a small cell too
    (3, 4, "<5"),       # a tiny total: every count is small
])
def test_a_count_next_to_its_total_never_reveals_the_rest(count, total, shown):
    assert part_of(count, total=total) == shown
