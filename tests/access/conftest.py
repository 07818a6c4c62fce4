from tests.orgdata.conftest import in_a, manager  # noqa: F401  (the catalogue is asked inside enterprise A)
