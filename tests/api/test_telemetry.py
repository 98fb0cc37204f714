"""FastAPI's own OpenTelemetry stays off: a consent check's URL holds an e-mail address."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from opentelemetry import trace

from privaat.store.models import Organisation
from tests.conftest import TokenFactory


class _RecordingTracer(trace.NoOpTracer):
    def __init__(self, spans: list[str]) -> None:
        self.spans = spans

    def start_span(self, name: str, *args: Any, **kwargs: Any) -> trace.Span:
        self.spans.append(name)
        return super().start_span(name, *args, **kwargs)

    @contextmanager
    def start_as_current_span(  # type: ignore[override]
        self, name: str, *args: Any, **kwargs: Any
    ) -> Iterator[trace.Span]:
        self.spans.append(name)
        yield trace.INVALID_SPAN


class _RecordingProvider(trace.TracerProvider):
    """A configured provider, as an operator's OpenTelemetry set-up would install."""

    def __init__(self) -> None:
        self.spans: list[str] = []

    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return _RecordingTracer(self.spans)


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
    assert provider.spans == []
