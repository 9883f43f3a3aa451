from tests.cases.conftest import assistant_version, case_type_version, open_case  # noqa: F401
