"""Template context every page gets from the tenants app."""
from tenants import cessation


def service_cessation(request) -> dict:
    """E10: the live cessation announcement, shown by the console (base.html, the sign-in page) and
    the Django admin (admin/base_site.html)."""
    notice = cessation.current_cessation_if_readable()
    return {"service_cessation": notice,
            "service_cessation_stopped": notice is not None and notice.collection_stopped()}
