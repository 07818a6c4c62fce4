from tests.erasure.test_enterprise_cancellation import leaving  # noqa: F401  (an enterprise that is cancelled)
from tests.orgdata.conftest import in_a, manager  # noqa: F401  (the manager of enterprise A applies)
