"""Fuzz the API from its OpenAPI schema (schemathesis): whatever the body, the answer is never a 5xx."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import KEY, Fitted
from hypothesis import HealthCheck, Phase, settings

schemathesis = pytest.importorskip("schemathesis")

AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def api_schema(fitted: Fitted, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from pullcast.service import ServiceLimits, create_app, hash_key

    db: Path = tmp_path_factory.mktemp("fuzz") / "store.duckdb"
    app = create_app(fitted.model_dir, db, api_keys=[hash_key(KEY)], limits=ServiceLimits(max_paths=200))
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_no_server_errors(api_schema) -> None:  # type: ignore[no-untyped-def]
    """Schema-generated requests (valid and invalid bodies) for every route: never a 5xx."""
    from hypothesis import given

    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/signals", "/v1/sales", "/v1/forecast", "/v1/orders"}
    seen: dict[str, int] = {}
    for op in operations:

        @given(case=op.as_strategy())
        @settings(
            max_examples=50,
            deadline=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def check(case) -> None:  # type: ignore[no-untyped-def]
            response = case.call(headers=AUTH)
            seen[case.operation.path] = seen.get(case.operation.path, 0) + 1
            assert response.status_code < 500, (case.method, case.path, case.body, response.text[:500])
            if response.status_code >= 400:
                assert response.json()["message"], response.text

        check()
    assert all(seen.get(op.path, 0) > 0 for op in operations)
