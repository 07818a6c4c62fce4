"""The console's notice of a scheduled cancellation (E9), shown to the enterprise's administrators
on every page until it runs or is withdrawn (an unpaid enterprise's warning is this notice)."""
from django.conf import settings

from access.capabilities import Capability, may


def enterprise_cancellation(request) -> dict:
    tenant = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    if tenant is None or not getattr(tenant, "pk", None) or user is None or not may(user, Capability.USE_CONSOLE):
        return {}
    from tenants.models import EnterpriseCancellation

    cancellation = EnterpriseCancellation.objects.filter(
        enterprise_id=tenant.pk, withdrawn_at__isnull=True, finished_at__isnull=True).first()
    return {"enterprise_cancellation": cancellation, "grace_days": settings.ENTERPRISE_CANCELLATION_GRACE_DAYS,
            "may_cancel_enterprise": may(user, Capability.CANCEL_ENTERPRISE)}
