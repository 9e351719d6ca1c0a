"""Bad input never costs a 5xx: the webhook and the web API under generated bodies, signatures and texts.

Hypothesis (bounded: ~100 examples a test, no deadline) and schemathesis over the app's own OpenAPI schema.
Signed, well-formed events must also be *handled*: one DB row per text question and no exception in any worker.
"""
from __future__ import annotations

import json
import logging
import string

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import event_body, post_webhook, sign, text_event

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
FEW = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


class _Errors(logging.Handler):
    """Collects ERROR records of the app's loggers (a handled event that crashed is logged, not raised)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        if record.name.startswith(("madoguchi", "handlers", "bot", "web")):
            self.records.append(record)

    def take(self) -> list[str]:
        out = [f"{r.name}: {r.getMessage()} {r.exc_text or ''}" for r in self.records]
        for r in self.records:
            if r.exc_info and not r.exc_text:
                out.append(logging.Formatter().formatException(r.exc_info))
        self.records.clear()
        return out


@pytest.fixture
def errors():
    h = _Errors()
    root = logging.getLogger()
    root.addHandler(h)
    yield h
    root.removeHandler(h)


def _alive(client) -> None:
    tasks = client.app.state.dispatcher.tasks
    assert tasks and not any(t.done() for t in tasks), "a dispatcher worker died"


def _rows(client, event_id: str) -> int:
    return client.app.state.store.db.query("SELECT COUNT(*) AS n FROM messages WHERE event_id = ?",
                                           (event_id,))[0]["n"]


# JSON of any shape, including the shapes a webhook body is meant to have.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20)
EVENT_KEYS = ["type", "message", "source", "replyToken", "webhookEventId", "mode", "timestamp", "postback",
              "deliveryContext", "text", "id", "userId", "groupId", "data", "follow", "unsend", "joined"]
event_dicts = st.dictionaries(st.sampled_from(EVENT_KEYS) | st.text(max_size=8), json_values, max_size=8)
# Events close to real ones, with fields swapped for random values: deep enough to reach the handlers.
near_events = st.builds(
    lambda kind, key, value, text: {**text_event(text), "type": kind, key: value},
    st.sampled_from(["message", "postback", "follow", "unfollow", "join", "leave", "beacon", "unsend",
                     "memberJoined", "accountLink", "things", "videoPlayComplete", "nonsense"]),
    st.sampled_from(EVENT_KEYS), json_values, st.text(max_size=30))

# Texts: emoji, control characters, mixed scripts, right-to-left, combining marks, lone surrogates.
WEIRD = ("😀🙇‍♀️🇯🇵👨‍👩‍👧\u200b\u200d\ufeff\u202e\u0000\u0001\u0007\u001b\u007f\u0085\u2028\u2029"
         "ｺﾞﾐ①㍻ｱｲｳ\u3099\u0301गजلعربيةไทย한국어Tiếng Việt中文")
texts = st.one_of(
    st.text(max_size=200),
    st.text(alphabet=st.sampled_from(WEIRD), max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.builds(lambda s, n: (s or "ごみ") * n, st.text(min_size=1, max_size=5), st.integers(1000, 2000)),  # 5,000+
)


# ------------------------------------------------------------------------------------------ webhook: unsigned

@FUZZ
@given(body=st.binary(max_size=2000))
def test_random_bytes_are_never_a_server_error(client, body):
    r = client.post("/callback/katori", content=body, headers={"X-Line-Signature": sign(body)})
    assert r.status_code < 500, r.text
    r = client.post("/callback/katori", content=body)
    assert r.status_code < 500, r.text


@FUZZ
@given(payload=json_values)
def test_random_json_is_never_a_server_error(client, payload):
    body = json.dumps(payload).encode()
    for sig in (sign(body), None, "garbage"):
        r = post_webhook(client, body, signature=sig)
        assert r.status_code < 500, r.text
        if payload != {"events": []} and sig != sign(body):
            assert r.status_code == 400 or (isinstance(payload, dict) and payload.get("events") == [])
    _alive(client)


@FUZZ
@given(signature=st.text(alphabet=string.printable.replace("\n", "").replace("\r", ""), max_size=120),
       other=st.text(max_size=50))
def test_wrong_signatures_are_400_and_do_nothing(client, line_api, signature, other):
    body = event_body(text_event("ごみの出し方"))
    other_body = event_body(text_event(other))
    for sig in (signature, sign(other_body), sign(body, "another-secret")):
        assume(sig != sign(body))
        r = post_webhook(client, body, signature=sig)
        assert r.status_code == 400, (sig, r.text)
    assert line_api.log == []
    assert client.app.state.store.db.query("SELECT COUNT(*) AS n FROM messages")[0]["n"] == 0


# ------------------------------------------------------------------------------------------ webhook: signed

@FUZZ
@given(events=st.lists(event_dicts | near_events, min_size=1, max_size=3))
def test_signed_envelopes_with_random_events_never_crash_a_worker(client, errors, events):
    body = event_body(*events)
    r = post_webhook(client, body)
    assert r.status_code in (200, 400), r.text
    _alive(client)
    assert errors.take() == []


@FUZZ
@given(text=texts)
def test_signed_texts_of_any_kind_get_200_and_one_row(client, line_api, errors, text):
    # a fresh user each time: the rate limit is tested elsewhere
    ev = text_event(text, user="U" + format(abs(hash(text)) % 16**32, "032x"))
    r = post_webhook(client, event_body(ev))
    assert r.status_code == 200, r.text
    _alive(client)
    assert errors.take() == []
    from handlers.commands import split_command
    if split_command(text)[0] not in ("language", "delete"):      # commands other than questions leave no row
        assert _rows(client, ev["webhookEventId"]) == 1


@FEW
@given(prefix=st.text(max_size=20), bad=st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                                                         b"\xe3\x81", b"\x80\x80"]))
def test_invalid_utf8_in_a_signed_body_is_400(client, line_api, prefix, bad):
    ev = text_event("PLACEHOLDER")
    body = event_body(ev).replace(b"PLACEHOLDER", prefix.encode() + bad)
    r = post_webhook(client, body)
    assert r.status_code == 400, r.text
    assert line_api.log == []


@FEW
@given(escape=st.sampled_from(["\\ud800", "\\udfff", "a\\ud83d", "\\ude00b", "\\u0000", "\\ud83d\\ude00"]))
def test_json_escaped_surrogates_and_nul_in_a_signed_text(client, errors, escape):
    """Valid UTF-8 JSON whose text decodes to a lone surrogate or NUL: 200, a row, and no crash in the worker."""
    ev = text_event("PLACEHOLDER", user="U" + "e" * 32)
    body = event_body(ev).replace(b"PLACEHOLDER", escape.encode())
    client.app.state.line.limiter._b.clear()
    r = post_webhook(client, body)
    assert r.status_code == 200, r.text
    _alive(client)
    assert errors.take() == []
    assert _rows(client, ev["webhookEventId"]) == 1


# ------------------------------------------------------------------------------------------ web API

ask_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries({}, optional={
        "tenant": st.sampled_from(["katori", "toyota", "atlantis", ""]) | st.text(max_size=70) | json_values,
        "text": texts | json_values,
        "lang": st.sampled_from(["ja", "en", "ja-easy", "xx", ""]) | st.text(max_size=20) | json_values,
        "top": st.integers(-5, 80) | json_values,
        "entry_id": st.text(max_size=30) | json_values,
    }),
)


@FUZZ
@given(payload=ask_bodies)
def test_api_ask_with_random_json_is_never_a_server_error(client, payload):
    client.app.state.line.limiter._b.clear()
    r = client.post("/api/ask", json=payload)
    assert r.status_code < 500, (payload, r.text)
    ok = (isinstance(payload, dict) and payload.get("tenant") in ("katori", "toyota")
          and isinstance(payload.get("text"), str) and payload["text"].strip() and len(payload["text"]) <= 5000)
    if not ok:
        assert 400 <= r.status_code < 500, (payload, r.text)


@FEW
@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_api_ask_and_feedback_with_random_bytes_are_4xx(client, raw):
    for path in ("/api/ask", "/api/feedback"):
        r = client.post(path, content=raw, headers={"Content-Type": "application/json"})
        assert 400 <= r.status_code < 500, (path, raw, r.text)


@FEW
@given(escape=st.sampled_from(["\\ud800", "x\\udfff", "\\ud83d\\ude00", "\\u0000"]))
def test_api_ask_with_escaped_surrogates_is_not_a_server_error(client, escape):
    client.app.state.line.limiter._b.clear()
    raw = ('{"tenant": "katori", "text": "ごみ%s"}' % escape).encode()
    r = client.post("/api/ask", content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code < 500, (escape, r.text)


# ------------------------------------------------------------------------------------------ schemathesis

def test_schemathesis_ask_and_feedback(client):
    """schemathesis over the app's OpenAPI schema, in process (ASGI), against the running app: no 5xx."""
    schemathesis = pytest.importorskip("schemathesis")
    from schemathesis.checks import not_a_server_error

    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    ran = 0
    for path in ("/api/ask", "/api/feedback"):
        op = schema[path]["POST"]
        strategy = op.as_strategy()

        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
        @given(case=strategy)
        def run(case):
            nonlocal ran
            client.app.state.line.limiter._b.clear()
            case.call_and_validate(checks=[not_a_server_error])
            ran += 1

        run()
    assert ran >= 20
