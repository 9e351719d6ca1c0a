"""The notice to staff when a resident asks for a person: a Slack/Teams-style {"text": ...}, masked, to a local server."""
import asyncio
import json

import pytest
from pytest_httpserver import HTTPServer

from handlers.staff_notify import notice, notify_staff

QUESTION = "住民票のことで相談したいです。折り返し 090-1234-5678 か taro@example.jp まで"


@pytest.fixture
def hook(monkeypatch):
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    monkeypatch.setenv("MADOGUCHI_STAFF_WEBHOOK_URL", server.url_for("/incoming"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    yield server
    server.clear()
    server.stop()


def test_notice_posts_only_the_masked_question(hook):
    hook.expect_request("/incoming", method="POST").respond_with_data("ok")
    assert asyncio.run(notify_staff("katori", "香取市", QUESTION, "shimin-kyodo", 17)) is True
    [(req, _)] = hook.log
    assert req.headers["Content-Type"].startswith("application/json")
    body = json.loads(req.get_data())
    assert list(body) == ["text"]                       # Slack and Teams incoming webhooks both take {"text"}
    text = body["text"]
    assert "香取市" in text and "17" in text and "shimin-kyodo" in text and "住民票" in text
    for secret in ("090-1234-5678", "1234-5678", "taro@example.jp", "example.jp"):
        assert secret not in text


def test_notice_function_carries_no_user_id():
    n = notice("katori", "香取市", "質問", None, None)
    assert set(n) == {"text"} and "未定" in n["text"]


def test_no_url_no_notice(monkeypatch):
    monkeypatch.delenv("MADOGUCHI_STAFF_WEBHOOK_URL", raising=False)
    assert asyncio.run(notify_staff("katori", "香取市", QUESTION, None, 1)) is False


def test_server_error_is_reported_not_raised(hook):
    hook.expect_request("/incoming", method="POST").respond_with_data("boom", status=500)
    assert asyncio.run(notify_staff("katori", "香取市", QUESTION, None, 1)) is False


def test_unreachable_server_is_reported_not_raised(monkeypatch):
    monkeypatch.setenv("MADOGUCHI_STAFF_WEBHOOK_URL", "http://127.0.0.1:9/nothing-listens-here")
    assert asyncio.run(notify_staff("katori", "香取市", QUESTION, None, 1)) is False
