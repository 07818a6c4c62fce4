from tests.orgdata.conftest import api_as, in_a, manager  # noqa: F401  (a person is erased inside enterprise A)
