import pytest
from django_tenants.utils import schema_context

from consent.selectors import forget_catalogue
from policies.selectors import forget_timeline


@pytest.fixture(autouse=True)
def _forget_memos_of_rolled_back_tests(request):
    # Policy versions and purpose revisions changed in a test vanish with its transaction; so must
    # the in-process policy memo and the cached catalogue (the cache is not transactional).
    forget_timeline()
    yield
    forget_timeline()
    if "enterprises" in request.fixturenames or "session_enterprises" in request.fixturenames:
        enterprises = request.getfixturevalue("session_enterprises")
        for each in (enterprises.a, enterprises.b):
            with schema_context(each.schema_name):
                forget_catalogue()
