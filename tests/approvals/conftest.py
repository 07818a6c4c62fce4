from tests.orgdata.conftest import api_as, in_a, manager  # noqa: F401  (the data-map tests run inside enterprise A)
