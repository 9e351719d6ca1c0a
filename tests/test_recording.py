"""What the 広聴 record keeps of a LINE conversation, on SQLite and on PostgreSQL: masked text, no LINE user id."""
import json

import pytest

from conftest import event_body, post_webhook, requests_to, text_event

USER = "U" + "4af4980629b3e2f0c52b8b2e1d7a0f2c"[:32]
PHONE, MAIL = "090-1234-5678", "yamada.taro@example.jp"


@pytest.fixture
def pg_client(store_url, app_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", store_url)
    from fastapi.testclient import TestClient
    from web.app import create_app
    app = create_app()
    with TestClient(app) as c:
        c.drain = lambda: c.portal.call(app.state.dispatcher.drain)
        c.app_state = app.state
        yield c


def _all_text(store) -> str:
    rows = []
    for table in ("messages", "user_prefs", "handoffs", "audit_log"):
        rows += store.db.query(f"SELECT * FROM {table}")
    return json.dumps(rows, ensure_ascii=False, default=str)


def test_line_events_leave_masked_rows_without_the_user_id(pg_client, line_api):
    ev = text_event(f"市長への手紙を出したいです。電話は{PHONE}、メールは{MAIL}です", user=USER)
    r = post_webhook(pg_client, event_body(ev))
    assert r.status_code == 200
    assert len(requests_to(line_api, "/v2/bot/message/reply")) == 1
    store = pg_client.app_state.store
    dump = _all_text(store)
    assert PHONE not in dump and MAIL not in dump and USER not in dump
    rows = store.db.query("SELECT text, channel, kind, event_id, user_key FROM messages")
    assert len(rows) == 1
    assert "[電話番号]" in rows[0]["text"] and "[メール]" in rows[0]["text"]
    assert rows[0]["channel"] == "line" and rows[0]["kind"] == "answer"
    assert rows[0]["user_key"] and rows[0]["user_key"] != USER


def test_redelivered_event_is_recorded_and_answered_once(pg_client, line_api):
    ev = text_event("市長への手紙を出したい", user=USER, event_id="01REDELIVER0000000000000001")
    post_webhook(pg_client, event_body(ev))
    ev2 = dict(ev, deliveryContext={"isRedelivery": True})
    post_webhook(pg_client, event_body(ev2))
    assert len(requests_to(line_api, "/v2/bot/message/reply")) == 1
    rows = pg_client.app_state.store.db.query("SELECT id FROM messages WHERE event_id = ?", (ev["webhookEventId"],))
    assert len(rows) == 1


def test_sqlite_file_never_holds_the_user_id_or_the_phone_number(client, line_api, app_env):
    post_webhook(client, event_body(text_event(f"電話 {PHONE} の件で相談したい", user=USER)))
    blob = b"".join(p.read_bytes() for p in app_env.glob("test.db*"))
    assert PHONE.encode() not in blob and USER.encode() not in blob
