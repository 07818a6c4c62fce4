from accounts.models import User
from orgdata.models import Department, Employee


def organisation_summary() -> dict:
    """Counts for the console dashboard of the current enterprise."""
    return {
        "departments": Department.objects.count(),
        "employees": Employee.objects.count(),
        "active_accounts": User.objects.filter(is_active=True).count(),
        "administrators": User.objects.filter(role__in=[User.Role.MANAGER, User.Role.SUB_ADMIN]).count(),
    }
