import pytest

from tests.orgdata.conftest import api_as, in_a, manager  # noqa: F401  (requests are made inside enterprise A)


@pytest.fixture(autouse=True)
def _codes_without_waiting(settings):
    # These tests submit several requests a minute; the resend wait is accounts' own tests' subject.
    settings.VERIFICATION_RESEND_SECONDS = 0
