"""The LINE webhook end to end: LINE's own payloads, signed, against a local stand-in for the LINE API."""
import json

from conftest import (FIXTURES, fixture_body, post_webhook, requests_to, sign, text_event, event_body)


def test_signed_text_event_gets_one_reply_with_its_token(client, line_api):
    body = fixture_body("text_message_user.json")
    r = post_webhook(client, body)
    assert r.status_code == 200
    replies = requests_to(line_api, "/v2/bot/message/reply")
    assert len(replies) == 1
    sent = replies[0]["json"]
    assert sent["replyToken"] == json.loads(body)["events"][0]["replyToken"]
    assert 1 <= len(sent["messages"]) <= 5
    assert replies[0]["headers"]["Authorization"] == "Bearer test-access-token"


def test_wrong_signature_is_400_and_sends_nothing(client, line_api):
    body = fixture_body("text_message_user.json")
    r = post_webhook(client, body, signature=sign(body, "another-secret"))
    assert r.status_code == 400
    assert line_api.log == []


def test_missing_signature_is_400(client, line_api):
    r = post_webhook(client, fixture_body("text_message_user.json"), signature=None)
    assert r.status_code == 400
    assert line_api.log == []


def test_reserialised_body_fails_the_signature(client, line_api):
    body = fixture_body("text_message_user.json")
    resent = json.dumps(json.loads(body), indent=2).encode()
    r = client.post("/callback/katori", content=resent, headers={"X-Line-Signature": sign(body)})
    client.drain()
    assert r.status_code == 400
    assert line_api.log == []


def test_unknown_tenant_is_404_without_calls(client, line_api):
    body = fixture_body("text_message_user.json")
    r = post_webhook(client, body, tenant="atlantis")
    assert r.status_code == 404
    assert line_api.log == []


def test_two_megabyte_body_is_413_without_calls(client, line_api):
    body = b'{"events": [' + b" " * (2 * 1024 * 1024) + b"]}"
    r = post_webhook(client, body)
    assert r.status_code == 413
    assert line_api.log == []


def test_empty_events_unsigned_is_200_and_silent(client, line_api):
    body = (FIXTURES / "empty_events_verification.json").read_bytes()
    r = client.post("/callback/katori", content=body)
    assert r.status_code == 200
    assert line_api.log == []


def test_unparseable_body_is_400(client, line_api):
    body = b"{not json"
    r = post_webhook(client, body)
    assert r.status_code == 400
    assert line_api.log == []


def test_tenant_without_secret_is_503(client, line_api, monkeypatch):
    monkeypatch.delenv("LINE_CHANNEL_SECRET")
    r = post_webhook(client, fixture_body("text_message_user.json"))
    assert r.status_code == 503
    assert line_api.log == []


def test_per_tenant_secret_wins(client, line_api, monkeypatch):
    monkeypatch.setenv("LINE_CHANNEL_SECRET_TOYOTA", "toyota-only-secret")
    body = event_body(text_event("こんにちは"))
    assert post_webhook(client, body, tenant="toyota").status_code == 400       # signed with the shared secret
    assert post_webhook(client, body, tenant="toyota", signature=sign(body, "toyota-only-secret")).status_code == 200


def test_default_callback_serves_the_default_tenant(client, line_api, monkeypatch):
    monkeypatch.setenv("MADOGUCHI_DEFAULT_TENANT", "katori")
    r = post_webhook(client, event_body(text_event("市長への手紙を出したい")), tenant=None)
    assert r.status_code == 200
    reply = requests_to(line_api, "/v2/bot/message/reply")[0]["json"]
    assert "市長への手紙" in json.dumps(reply, ensure_ascii=False)


def test_standby_and_tokenless_events_get_no_reply(client, line_api):
    ev = text_event("市長への手紙")
    ev["mode"] = "standby"
    ev2 = text_event("こんにちは")
    del ev2["replyToken"]
    r = post_webhook(client, event_body(ev, ev2))
    assert r.status_code == 200
    assert requests_to(line_api, "/v2/bot/message/reply") == []


def test_every_fixture_event_is_accepted_and_replies_stay_within_limits(client, line_api):
    body = (FIXTURES / "sdk_v3_webhook_all_events.json").read_bytes()
    data = json.loads(body)
    for i, ev in enumerate(data["events"]):
        ev["webhookEventId"] = f"01ALL{i:021d}"
    body = json.dumps(data).encode()
    r = post_webhook(client, body)
    assert r.status_code == 200
    for req in requests_to(line_api, "/v2/bot/message/reply"):
        assert 1 <= len(req["json"]["messages"]) <= 5
