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


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case) -> None:  # type: ignore[no-untyped-def]
    response = case.call(headers=AUTH)
    assert response.status_code < 500, (case.method, case.path, case.body, response.text[:500])
    if response.status_code >= 400:
        body = response.json()
        assert body["message"], body
