"""Property-based tests of the whole API from its own OpenAPI schema (schemathesis).

Every operation gets generated requests, valid (positive) and invalid (negative),
authenticated as an admin of the example organisation, mostly aimed at that
organisation; no response may be a server error, and every error is problem+json.
Runs on both stores, like every store test.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.core.result import Ok

from tests.conftest import bearer

EXAMPLES_PER_OPERATION = 25


@pytest.mark.parametrize(
    "mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
)
def test_no_request_gets_a_server_error(
    app: FastAPI, admin_token: str, mode: schemathesis.GenerationMode
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    assert len(operations) >= 5
    failures: list[str] = []
    for operation in operations:
        strategy = operation.as_strategy(generation_mode=mode)

        @given(case=strategy, real_org=st.booleans())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case[Any], real_org: bool) -> None:
            if real_org and "org" in case.path_parameters:
                case.path_parameters["org"] = "jetstax"
            response = case.call(headers=bearer(admin_token))
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")
            elif response.status_code >= 400:
                content_type = response.headers.get("content-type", [""])
                value = content_type[0] if isinstance(content_type, list) else content_type
                if not value.startswith("application/problem+json"):
                    failures.append(f"{case.method} {case.formatted_path}: {value} error")

        try:
            check()
        except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
            assert mode is schemathesis.GenerationMode.NEGATIVE
    assert not failures, "\n".join(sorted(set(failures)))
