"""Template context from enterprise certification (E4)."""
from certification import selectors


def certification(request) -> dict:
    """The "certified" mark of the console's layout (base.html): only for a signed-in page of an
    enterprise (one small query on the public schema's certification table)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(request, "tenant", None) is None:
        return {}
    # A callable: the template asks only where it shows the mark.
    return {"enterprise_is_certified": selectors.current_enterprise_is_certified}
