"""FastAPI's own OpenTelemetry stays off: a consent check's URL holds an e-mail address."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from opentelemetry import trace

from privaat.store.models import Organisation
from tests.conftest import TokenFactory


class _RecordingProvider(trace.TracerProvider):
    """A configured provider, as an operator's OpenTelemetry set-up would install: it notes
    every tracer asked of it (a request traced asks for one)."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def get_tracer(self, instrumenting_module_name: str, *args: Any, **kwargs: Any) -> trace.Tracer:
        self.asked.append(instrumenting_module_name)
        return trace.NoOpTracer()


def test_requests_make_no_spans_even_with_a_tracer_configured(
    client: TestClient,
    org: Organisation,
    token_for: TokenFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    provider = _RecordingProvider()
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    headers = {"Authorization": f"Bearer {token_for(org)}"}
    url = f"/api/v1/orgs/{org.slug}/consent?purpose=newsletter&email=ann%40example.com"
    assert client.get(url, headers=headers).status_code == 200
    assert client.get("/healthz").status_code == 200
    assert provider.asked == []
