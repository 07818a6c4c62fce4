from tests.orgdata.conftest import in_a, manager  # noqa: F401  (the manager of enterprise A applies)
