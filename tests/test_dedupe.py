"""Exactly-once effect across processes for events that are not questions (follow, postback), and nothing queued is
lost at shutdown."""
import json
import time

from fastapi.testclient import TestClient

from conftest import FIXTURES, event_body, postback_event, post_webhook, requests_to


def _follow(event_id):
    ev = json.loads((FIXTURES / "follow.json").read_text(encoding="utf-8"))["events"][0]
    ev["webhookEventId"] = event_id
    return ev


def test_a_follow_redelivered_to_another_process_is_greeted_once(app_env, line_api):
    from web.app import create_app
    body = event_body(_follow("01FOLLOWONCE00000000000001"))
    apps = [create_app(), create_app()]               # two web processes, one database
    with TestClient(apps[0]) as a, TestClient(apps[1]) as b:
        for c, app in ((a, apps[0]), (b, apps[1])):
            c.drain = lambda app=app, c=c: c.portal.call(app.state.dispatcher.drain)
            assert post_webhook(c, body).status_code == 200
    assert len(requests_to(line_api, "/v2/bot/message/reply")) == 1


def test_a_postback_is_confirmed_once(client, line_api):
    body = event_body(postback_event("a=lang&l=en", event_id="01PBONCE000000000000000001"))
    post_webhook(client, body)
    post_webhook(client, body)
    assert len(requests_to(line_api, "/v2/bot/message/reply")) == 1


def test_events_still_queued_at_shutdown_go_to_the_spool(app_env, line_api, monkeypatch):
    import web.app as webapp
    from web.app import create_app

    async def slow(*a, **k):                          # a worker stuck on a slow LINE API
        import asyncio
        await asyncio.sleep(30)
    monkeypatch.setenv("MADOGUCHI_WORKERS", "1")
    monkeypatch.setattr(webapp, "handle_event", slow)
    app = create_app()
    with TestClient(app) as c:
        from conftest import sign, text_event
        body = event_body(*[text_event(f"質問{i}") for i in range(4)])
        r = c.post("/callback/katori", content=body, headers={"X-Line-Signature": sign(body)})
        assert r.status_code == 200
        time.sleep(0.2)
    spooled = (app_env / "event-spool.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(spooled) >= 3                          # the one in the worker is cancelled; the rest are kept
    on_disk = "\n".join(spooled)                      # sealed: no LINE user ID, no question text in clear
    assert "U" + "a" * 32 not in on_disk and "質問" not in on_disk and "userId" not in on_disk
