"""Shared fixtures: the app against a real local HTTP server standing in for the LINE API."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FIXTURES = SHARED / "line-fixtures"
TEST_SECRET = "test-channel-secret"
TEST_TOKEN = "test-access-token"

os.environ.setdefault("MADOGUCHI_ENV", "development")
os.environ.setdefault("MADOGUCHI_HASH_KEY", "test-hash-key-not-secret")


def require_services() -> bool:
    return os.environ.get("MADOGUCHI_REQUIRE_SERVICES") == "1"


def skip_or_fail(reason: str):
    """Service-backed tests skip with a printed reason locally and fail in CI (MADOGUCHI_REQUIRE_SERVICES=1)."""
    if require_services():
        pytest.fail(f"required service unavailable: {reason}")
    print(f"SKIP: {reason}")
    pytest.skip(reason)


def sign(body: bytes, secret: str = TEST_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def fixture_body(name: str, **event_overrides) -> bytes:
    """A payload from ../shared/line-fixtures, optionally with fields of every event replaced."""
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    for ev in data["events"]:
        ev.update(event_overrides)
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def event_body(*events: dict) -> bytes:
    return json.dumps({"destination": "U" + "0" * 32, "events": list(events)}, ensure_ascii=False).encode("utf-8")


_counter = [0]


def text_event(text: str, user: str = "U" + "a" * 32, event_id: str | None = None, group: str | None = None,
               mention_self: bool = False, reply_token: str | None = None) -> dict:
    _counter[0] += 1
    n = _counter[0]
    source = {"type": "user", "userId": user} if not group else {"type": "group", "groupId": group, "userId": user}
    msg = {"id": str(100000 + n), "type": "text", "text": text, "quoteToken": f"q{n}"}
    if mention_self:
        msg["mention"] = {"mentionees": [{"index": 0, "length": 4, "type": "user", "userId": "U" + "f" * 32,
                                          "isSelf": True}]}
    return {"type": "message", "message": msg, "timestamp": int(time.time() * 1000), "source": source,
            "replyToken": reply_token or f"rt{n:06d}", "mode": "active",
            "webhookEventId": event_id or f"01TEST{n:020d}", "deliveryContext": {"isRedelivery": False}}


def postback_event(data: str, user: str = "U" + "a" * 32, event_id: str | None = None) -> dict:
    _counter[0] += 1
    n = _counter[0]
    return {"type": "postback", "postback": {"data": data}, "timestamp": int(time.time() * 1000),
            "source": {"type": "user", "userId": user}, "replyToken": f"pb{n:06d}", "mode": "active",
            "webhookEventId": event_id or f"01PB{n:022d}", "deliveryContext": {"isRedelivery": False}}


@pytest.fixture
def line_api():
    """A real local HTTP server standing in for api.line.me; inspect `.log` for what the app sent."""
    from pytest_httpserver import HTTPServer
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    server.expect_request("/v2/bot/message/reply", method="POST").respond_with_json({"sentMessages": [{"id": "1"}]})
    server.expect_request("/v2/bot/message/push", method="POST").respond_with_json({"sentMessages": [{"id": "2"}]})
    server.expect_request("/v2/bot/chat/loading/start", method="POST").respond_with_json({}, status=202)
    server.expect_request("/v2/bot/profile/" + "U" + "a" * 32, method="GET").respond_with_json(
        {"displayName": "Test", "userId": "U" + "a" * 32, "language": "en"})
    yield server
    server.clear()
    if server.is_running():
        server.stop()


def requests_to(server, path: str) -> list[dict]:
    out = []
    for req, _resp in server.log:
        if req.path == path:
            out.append({"headers": dict(req.headers), "json": json.loads(req.get_data() or b"{}")})
    return out


@pytest.fixture
def app_env(tmp_path, monkeypatch, line_api):
    """Environment for an app with LINE credentials, a fresh SQLite database and the repository's knowledge."""
    monkeypatch.setenv("LINE_CHANNEL_SECRET", TEST_SECRET)
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("MADOGUCHI_LINE_API_BASE", line_api.url_for("").rstrip("/"))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/test.db")
    monkeypatch.setenv("MADOGUCHI_SPOOL_PATH", str(tmp_path / "spool.jsonl"))
    monkeypatch.setenv("MADOGUCHI_EVENT_SPOOL", str(tmp_path / "event-spool.jsonl"))
    monkeypatch.setenv("MADOGUCHI_WATCH", "0")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    return tmp_path


@pytest.fixture
def client(app_env):
    from fastapi.testclient import TestClient
    from web.app import create_app
    app = create_app()
    with TestClient(app) as c:
        c.drain = lambda: c.portal.call(app.state.dispatcher.drain)
        yield c


def post_webhook(client, body: bytes, tenant: str | None = "katori", signature: str | None = "auto"):
    headers = {"Content-Type": "application/json"}
    if signature == "auto":
        headers["X-Line-Signature"] = sign(body)
    elif signature:
        headers["X-Line-Signature"] = signature
    path = f"/callback/{tenant}" if tenant else "/callback"
    r = client.post(path, content=body, headers=headers)
    client.drain()
    return r


PG_URL = os.environ.get("MADOGUCHI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def pg_unreachable_reason() -> str | None:
    try:
        import psycopg
        psycopg.connect(PG_URL, connect_timeout=3).close()
    except Exception as e:  # noqa: BLE001 - any failure means "not here"
        return f"PostgreSQL unreachable at {PG_URL}: {e}".strip()
    return None


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A fresh database of each backend: SQLite in tmp_path, PostgreSQL in a schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/madoguchi.db"
        return
    reason = pg_unreachable_reason()
    if reason:
        skip_or_fail(reason)
    import uuid
    from urllib.parse import quote

    import psycopg
    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options={quote(f'-csearch_path={name}')}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{name}" CASCADE')
