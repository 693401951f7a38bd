"""Whatever a backend answers and whatever a config file holds, the readers never crash."""

from __future__ import annotations

from pathlib import Path

import httpx
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agent.config import load_config
from agent.delivery.uploader import RetryPolicy, classify, parse_retry_after
from agent.errors import ConfigError

NOW = 1_000_000.0


@given(st.one_of(st.none(), st.text()))
@example("\u00b9")  # a digit to str.isdigit that float() refuses
def test_retry_after_is_none_or_a_bounded_wait_for_any_text(value: str | None) -> None:
    wait = parse_retry_after(value, NOW)
    assert wait is None or 0.0 <= wait <= RetryPolicy.max_retry_after_s


@given(
    status=st.integers(min_value=100, max_value=599),
    body=st.binary(max_size=600),
    retry_after=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
)
def test_any_answer_is_classified_into_one_line(status: int, body: bytes, retry_after: str) -> None:
    attempt = classify(httpx.Response(status, content=body, headers={"Retry-After": retry_after}), NOW)
    assert attempt.kind in ("delivered", "rejected", "retry")
    assert attempt.detail is None or ("\n" not in attempt.detail and len(attempt.detail) <= 210)
    assert (attempt.kind == "delivered") == (200 <= status < 300 or status == 409)


_KEYS = st.sampled_from(["station_id", "profile", "backend", "slots", "url", "token", "ca_bundle", "timeout_s", "x"])
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12))
_VALUES = st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.one_of(_KEYS, st.text(max_size=5), st.integers()), inner, max_size=3),
                       max_leaves=8)
_DOCS = st.dictionaries(_KEYS, _VALUES, max_size=5).map(lambda doc: yaml.safe_dump(doc, allow_unicode=True))


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=300)
@given(text=st.one_of(_DOCS, st.text(max_size=300)))
def test_any_config_text_loads_or_is_a_config_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "station.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_config(path, env={})
    except ConfigError as e:
        assert str(e).startswith(str(path))


@given(st.text(max_size=60))
def test_any_backend_url_in_the_environment_loads_or_is_a_config_error(url: str) -> None:
    try:
        config = load_config(Path("/nonexistent/station.yaml"), env={"PHONEBENCH_BACKEND_URL": url})
    except ConfigError as e:
        assert str(e).startswith("$PHONEBENCH_BACKEND_URL: ")
    else:
        assert config.backend_url is None or config.backend_url.startswith(("http://", "https://"))
