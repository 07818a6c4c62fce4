"""What a checked import would do, shown before the administrator confirms it (issue 14): rows to
add, to change and to skip (an existing person the row leaves as they are), the departments it
would create, and the positions and job levels that do not exist yet. Reads only; names of
departments, positions and job levels are the enterprise's vocabulary, never a person's values.
"""
from __future__ import annotations

from orgdata.columns import DEPARTMENT_SEPARATOR
from orgdata.services.imports.checks import Plan
from orgdata.services.imports.rows import Row

# The page lists this many names of each kind; the counts are always complete.
NAMES_SHOWN = 100


def preview_of(rows: list[Row], plan: Plan) -> dict:
    """The preview of rows already checked against the database by `plan` (none of them bad)."""
    added = changed = unchanged = 0
    for row in rows:
        employee = row.values.get("_existing")
        if employee is None:
            added += 1
        elif _changes(row, employee, plan):
            changed += 1
        else:
            unchanged += 1
    new_departments = sorted(DEPARTMENT_SEPARATOR.join(path) for path in plan.new_department_paths)
    return {
        "added": added, "changed": changed, "unchanged": unchanged,
        "new_department_count": len(new_departments), "new_departments": new_departments[:NAMES_SHOWN],
        # The full lists: confirming creates exactly these (checks.Plan.approved_new_values).
        "new_positions": sorted(plan.new_positions), "new_job_levels": sorted(plan.new_job_levels),
    }


def _changes(row: Row, employee, plan: Plan) -> bool:
    """Whether writing the row would change the existing record (as writing.write compares them:
    an empty cell leaves a value as it was)."""
    account = employee.account
    for key in ("mobile", "display_name"):
        if row.values.get(key) and row.values[key] != getattr(account, key):
            return True
    for key, value in row.values.items():
        if key.startswith("_") or key in ("mobile", "display_name", "employee_number"):
            continue
        if getattr(employee, key) != value:
            return True
    department = row.values.get("_department")
    if row.department and (isinstance(department, tuple) or department.pk != employee.department_id):
        return True
    for key, known in (("position", plan.positions), ("job_level", plan.job_levels)):
        name = getattr(row, key)
        if name and (name not in known or known[name].pk != getattr(employee, f"{key}_id")):
            return True
    return False
