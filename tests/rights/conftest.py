from tests.orgdata.conftest import api_as, in_a, manager  # noqa: F401  (requests are made inside enterprise A)
