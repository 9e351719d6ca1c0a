"""The LINE experience end to end: signed events in, and the exact requests the local LINE stand-in received."""
import json
import time
from urllib.parse import parse_qs

import pytest

from conftest import event_body, post_webhook, postback_event, requests_to, text_event
from handlers import line_messages as lm
from handlers.line_limits import violations

USER = "U" + "a" * 32
GROUP = "C" + "1" * 32
REPLY = "/v2/bot/message/reply"
PUSH = "/v2/bot/message/push"


def _event(kind: str, user: str = USER, **fields) -> dict:
    n = int(time.time() * 1e6) % 10**12
    ev = {"type": kind, "timestamp": int(time.time() * 1000), "source": {"type": "user", "userId": user},
          "replyToken": f"rt-{kind}-{n}", "mode": "active", "webhookEventId": f"01EV{kind[:4].upper()}{n:018d}",
          "deliveryContext": {"isRedelivery": False}}
    ev.update(fields)
    return ev


def _message_event(message: dict, **kw) -> dict:
    return _event("message", message={"id": "325708", "quoteToken": "q-media", **message}, **kw)


def replies(line_api) -> list[dict]:
    return [r["json"] for r in requests_to(line_api, REPLY)]


def all_texts(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


@pytest.fixture(autouse=True)
def every_request_within_limits(line_api):
    """After each test: every reply and push the stand-in received passes LINE's documented limits and the SDK."""
    yield
    for path in (REPLY, PUSH):
        for r in requests_to(line_api, path):
            msgs = r["json"]["messages"]
            assert violations(msgs) == [], (path, violations(msgs))
            assert lm.sdk_accepts(msgs)


def _store(client):
    return client.app.state.store


# ---------------------------------------------------------------------------------------------- answers

def test_japanese_question_gets_an_answer_card(client, line_api):
    ev = text_event("市長への手紙を出したい")
    post_webhook(client, event_body(ev))
    [sent] = replies(line_api)
    assert sent["replyToken"] == ev["replyToken"]
    card = sent["messages"][0]
    assert card["type"] == "flex" and card["contents"]["type"] == "bubble"
    body = all_texts(card["contents"]["body"])
    assert "担当課" in body and "秘書広報課" in body and "出典" in body
    footer = card["contents"]["footer"]["contents"]
    assert [b["action"]["label"] for b in footer] == ["役に立った", "役に立たなかった"]
    assert card["altText"].startswith("市長")
    assert any(it["action"].get("text") == "人と話したい" for it in card["quickReply"]["items"])


def test_english_question_gets_an_english_card_with_both_section_names(client, line_api):
    post_webhook(client, event_body(text_event("How can I send my opinion to the mayor?")))
    [sent] = replies(line_api)
    card = sent["messages"][0]
    body = all_texts(card["contents"]["body"])
    assert "Section in charge" in body and "秘書広報課" in body and "Secretarial and Public Relations Division" in body
    assert [b["action"]["label"] for b in card["contents"]["footer"]["contents"]] == ["Helpful", "Not helpful"]


def test_easy_japanese_question_gets_an_easy_japanese_card(client, line_api):
    post_webhook(client, event_body(text_event("しちょうに てがみを だしたい です")))
    [sent] = replies(line_api)
    card = sent["messages"][0]
    assert card["type"] == "flex"
    assert [b["action"]["label"] for b in card["contents"]["footer"]["contents"]] == ["やくに たった", "やくに たたなかった"]
    assert "たんとう" in all_texts(card["contents"]["body"])


def test_target_line_appears_on_the_card(client, line_api):
    from bot.kb.registry import get_kb
    kb = get_kb().get("toyota")
    e = next(e for e in kb.entries if e.target_line.get("ja"))
    post_webhook(client, event_body(postback_event(f"a=ask&e={e.id}")), tenant="toyota")
    [sent] = replies(line_api)
    assert e.target_line["ja"] in all_texts(sent["messages"][0]["contents"]["body"])


def test_choices_come_as_quick_replies(client, line_api, monkeypatch):
    import handlers.line_events as le
    fake = {"tenant": "katori", "query": "q", "kind": "choices", "language": "ja", "answered": False,
            "text": "こちらのことですか？\n1. A\n2. B", "contacts": [], "sources": [], "entry_id": None, "score": 0.5,
            "choices": [{"entry_id": "katori/faq:f-mayor-letter", "title": "市長に意見を伝えたい"},
                        {"entry_id": "katori/faq:f-public-comment", "title": "パブリックコメント"}]}
    monkeypatch.setattr(le, "answer", lambda *a, **k: dict(fake))
    post_webhook(client, event_body(text_event("意見")))
    [sent] = replies(line_api)
    items = sent["messages"][-1]["quickReply"]["items"]
    assert [it["action"].get("data") for it in items[:2]] == ["a=ask&e=katori%2Ffaq%3Af-mayor-letter",
                                                             "a=ask&e=katori%2Ffaq%3Af-public-comment"]


# ---------------------------------------------------------------------------------------------- feedback

def test_feedback_postback_is_stored_on_the_answer_row(client, line_api):
    post_webhook(client, event_body(text_event("市長への手紙を出したい")))
    card = replies(line_api)[0]["messages"][0]
    data = card["contents"]["footer"]["contents"][0]["action"]["data"]
    mid = int(parse_qs(data)["m"][0])
    post_webhook(client, event_body(postback_event(data)))
    assert _store(client).get_message(mid)["feedback"] == "helpful"
    thanks = replies(line_api)[1]["messages"][0]["text"]
    assert thanks == lm.ui("thanks_feedback", "ja")
    # another user cannot rate it
    other = data.replace("helpful", "not_helpful")
    post_webhook(client, event_body(postback_event(other, user="U" + "b" * 32)))
    assert _store(client).get_message(mid)["feedback"] == "helpful"


# ---------------------------------------------------------------------------------------------- language

def test_follow_greets_in_the_profile_language_with_the_ten_languages(client, line_api):
    ev = _event("follow", follow={"isUnblocked": False})
    post_webhook(client, event_body(ev))
    assert any(req.path == f"/v2/bot/profile/{USER}" for req, _ in line_api.log)
    [sent] = replies(line_api)
    msg = sent["messages"][-1]
    assert "counter" in all_texts(sent["messages"]).lower()            # the English greeting
    labels = [it["action"]["label"] for it in msg["quickReply"]["items"]]
    assert labels == ["日本語", "やさしい にほんご", "English", "中文", "한국어", "Tiếng Việt", "Tagalog", "Português",
                      "नेपाली", "Bahasa Indonesia"]


@pytest.mark.parametrize("word,prompt_lang", [("言語", "ja"), ("ことば", "ja-easy"), ("language", "en")])
def test_language_words_bring_the_choice_back(client, line_api, word, prompt_lang):
    post_webhook(client, event_body(text_event(word)))
    [sent] = replies(line_api)
    msg = sent["messages"][-1]
    assert len(msg["quickReply"]["items"]) == 10
    assert all(it["action"]["data"].startswith("a=lang&l=") for it in msg["quickReply"]["items"])


def test_chosen_language_is_kept_and_used_for_later_replies(client, line_api):
    line_api.expect_request("/v2/bot/richmenu/alias/mdg-katori-en", method="GET").respond_with_json(
        {"richMenuAliasId": "mdg-katori-en", "richMenuId": "richmenu-en-0001"})
    line_api.expect_request(f"/v2/bot/user/{USER}/richmenu/richmenu-en-0001", method="POST").respond_with_json({})
    post_webhook(client, event_body(postback_event("a=lang&l=en")))
    assert "I will answer in English." in replies(line_api)[0]["messages"][0]["text"]
    # the resident's menu becomes the English one
    assert any(req.path == f"/v2/bot/user/{USER}/richmenu/richmenu-en-0001" and req.method == "POST"
               for req, _ in line_api.log)
    from bot import privacy
    key = privacy.user_key(USER, client.app.state.line.hash_key)
    assert _store(client).get_language("katori", key) == "en"
    post_webhook(client, event_body(text_event("市長への手紙を出したい")))
    card = replies(line_api)[1]["messages"][0]
    assert card["type"] == "flex"
    assert "mayor" in card["altText"].lower()
    assert [b["action"]["label"] for b in card["contents"]["footer"]["contents"]] == ["Helpful", "Not helpful"]


def test_choosing_japanese_unlinks_the_per_user_menu(client, line_api):
    line_api.expect_request(f"/v2/bot/user/{USER}/richmenu", method="DELETE").respond_with_json({})
    post_webhook(client, event_body(postback_event("a=lang&l=ja")))
    assert any(req.path == f"/v2/bot/user/{USER}/richmenu" and req.method == "DELETE" for req, _ in line_api.log)


def test_langmenu_postback_offers_the_languages(client, line_api):
    post_webhook(client, event_body(postback_event("a=langmenu")))
    [sent] = replies(line_api)
    assert len(sent["messages"][-1]["quickReply"]["items"]) == 10


def test_rich_menu_topic_postback_lists_the_topic_questions(client, line_api):
    post_webhook(client, event_body(postback_event("a=topic&t=migration")), tenant="toyota")
    [sent] = replies(line_api)
    items = sent["messages"][-1]["quickReply"]["items"]
    asks = [it["action"]["data"] for it in items if it["action"].get("data", "").startswith("a=ask")]
    assert asks
    from bot.kb.registry import get_kb
    kb = get_kb().get("toyota")
    ids = [parse_qs(d)["e"][0] for d in asks]
    assert all(kb.by_id[i].topic == "migration" for i in ids)
    # tapping one answers it as a card
    post_webhook(client, event_body(postback_event(asks[0])), tenant="toyota")
    assert replies(line_api)[1]["messages"][0]["type"] == "flex"


def test_topic_for_a_city_without_topic_entries_still_offers_questions(client, line_api):
    post_webhook(client, event_body(postback_event("a=topic&t=community")), tenant="katori")
    [sent] = replies(line_api)
    assert any(it["action"].get("data", "").startswith("a=ask") for it in sent["messages"][-1]["quickReply"]["items"])


# ---------------------------------------------------------------------------------------------- not text

def test_sticker_gets_a_friendly_prompt(client, line_api):
    ev = _message_event({"type": "sticker", "packageId": "446", "stickerId": "1988", "stickerResourceType": "STATIC"})
    post_webhook(client, event_body(ev))
    [sent] = replies(line_api)
    assert sent["messages"][0]["text"] == lm.ui("sticker", "ja")


@pytest.mark.parametrize("message", [
    {"type": "image", "contentProvider": {"type": "line"}},
    {"type": "audio", "contentProvider": {"type": "line"}, "duration": 1000},
    {"type": "video", "contentProvider": {"type": "line"}, "duration": 1000},
    {"type": "file", "fileName": "a.pdf", "fileSize": 10},
    {"type": "location", "latitude": 35.0, "longitude": 140.0, "address": "香取市"},
])
def test_media_asks_for_text(client, line_api, message):
    post_webhook(client, event_body(_message_event(message)))
    [sent] = replies(line_api)
    assert sent["messages"][0]["text"] == "文字で質問してください。"


def test_image_from_an_english_user_asks_in_english(client, line_api):
    post_webhook(client, event_body(postback_event("a=lang&l=en")))
    post_webhook(client, event_body(_message_event({"type": "image", "contentProvider": {"type": "line"}})))
    assert replies(line_api)[-1]["messages"][0]["text"] == "Please send your question as text."


# ---------------------------------------------------------------------------------------------- groups

def _db_bytes(app_env) -> bytes:
    return b"".join(p.read_bytes() for p in app_env.glob("test.db*"))


def test_group_message_without_mention_gets_no_reply(client, line_api):
    post_webhook(client, event_body(text_event("市長への手紙を出したい", group=GROUP)))
    assert replies(line_api) == []


def test_group_message_with_mention_or_trigger_gets_a_reply_and_no_member_id_is_stored(client, line_api, app_env):
    ev = text_event("@bot 市長への手紙を出したい", group=GROUP, mention_self=True)
    post_webhook(client, event_body(ev))
    ev2 = text_event("窓口 移住の相談をしたい", group=GROUP, user="U" + "c" * 32)
    post_webhook(client, event_body(ev2))
    sent = replies(line_api)
    assert len(sent) == 2
    assert sent[0]["replyToken"] == ev["replyToken"]
    assert not any(r.path == "/v2/bot/chat/loading/start" for r, _ in line_api.log)     # one-to-one only
    data = _db_bytes(app_env)
    assert data, "the database file exists"
    for raw in (USER, "U" + "c" * 32, GROUP):
        assert raw.encode() not in data
    assert _store(client).count_messages("katori") == 2


# ---------------------------------------------------------------------------------------------- a person

@pytest.fixture
def staff_hook(monkeypatch):
    from pytest_httpserver import HTTPServer
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    server.expect_request("/hook", method="POST").respond_with_data("ok")
    monkeypatch.setenv("MADOGUCHI_STAFF_WEBHOOK_URL", server.url_for("/hook"))
    yield server
    server.clear()
    server.stop()


def test_talk_to_a_person_gives_the_section_records_and_notifies(client, line_api, staff_hook):
    post_webhook(client, event_body(text_event("市長への手紙を出したい")))
    post_webhook(client, event_body(text_event("人と話したい。折り返しは090-1234-5678にお願いします")))
    sent = replies(line_api)[1]["messages"]
    text = all_texts(sent)
    assert "担当者におつなぎします" in text and "秘書広報課" in text
    handoffs = _store(client).list_handoffs("katori")
    assert len(handoffs) == 1 and handoffs[0]["section_id"] == "hisho-koho"
    assert "090-1234-5678" not in handoffs[0]["text"]
    [(req, _)] = staff_hook.log
    notice = json.loads(req.get_data())
    assert set(notice) == {"text"}
    assert "市長への手紙" in notice["text"]
    for secret in ("090-1234-5678", "1234-5678", USER):
        assert secret not in notice["text"]
    assert str(handoffs[0]["id"]) in notice["text"]


def test_talk_to_a_person_in_english_without_history_gives_the_city_contact(client, line_api, staff_hook):
    post_webhook(client, event_body(text_event("talk to a person", user="U" + "d" * 32)))
    text = all_texts(replies(line_api)[0]["messages"])
    assert "passed your request to city staff" in text
    assert len(staff_hook.log) == 1


def test_person_request_followed_by_the_question(client, line_api, staff_hook):
    post_webhook(client, event_body(text_event("人と話したい。住民票の件で 03-1234-5678 に電話ください")))
    [(req, _)] = staff_hook.log
    notice = json.loads(req.get_data())["text"]
    assert "住民票" in notice and "03-1234-5678" not in notice


# ---------------------------------------------------------------------------------------------- delivery

def test_redelivered_event_is_answered_and_recorded_once(client, line_api):
    ev = text_event("市長への手紙を出したい", event_id="01REDELIVERY0000000000000001")
    post_webhook(client, event_body(ev))
    again = dict(ev, deliveryContext={"isRedelivery": True})
    post_webhook(client, event_body(again))
    assert len(replies(line_api)) == 1
    assert _store(client).count_messages("katori") == 1


def test_slow_answer_shows_the_loading_animation_first(client, line_api, monkeypatch):
    import handlers.line_events as le
    real = le.answer
    monkeypatch.setenv("MADOGUCHI_LOADING_AFTER", "0.1")
    monkeypatch.setattr(le, "answer", lambda *a, **k: (time.sleep(0.5), real(*a, **k))[1])
    post_webhook(client, event_body(text_event("市長への手紙を出したい")))
    paths = [r.path for r, _ in line_api.log]
    assert paths.index("/v2/bot/chat/loading/start") < paths.index(REPLY)
    [load] = requests_to(line_api, "/v2/bot/chat/loading/start")
    assert load["json"]["chatId"] == USER and 5 <= load["json"]["loadingSeconds"] <= 60


def test_quick_answer_shows_no_loading_animation(client, line_api):
    post_webhook(client, event_body(text_event("こんにちは")))
    assert requests_to(line_api, "/v2/bot/chat/loading/start") == []


def test_expired_token_falls_back_to_push_with_one_retry_key(client, line_api, monkeypatch):
    monkeypatch.setenv("MADOGUCHI_PUSH_FALLBACK", "1")
    line_api.expect_oneshot_request(REPLY, method="POST").respond_with_json({"message": "Invalid reply token"},
                                                                            status=400)
    line_api.expect_oneshot_request(PUSH, method="POST").respond_with_json({"message": "oops"}, status=500)
    post_webhook(client, event_body(text_event("市長への手紙を出したい")))
    pushes = requests_to(line_api, PUSH)
    assert len(pushes) == 2                                      # 500, then accepted
    keys = {p["headers"].get("X-Line-Retry-Key") for p in pushes}
    assert len(keys) == 1 and None not in keys
    assert pushes[0]["json"]["to"] == USER
    assert pushes[0]["json"]["messages"][0]["type"] == "flex"


def test_expired_token_without_the_flag_does_not_push(client, line_api):
    line_api.expect_oneshot_request(REPLY, method="POST").respond_with_json({"message": "Invalid reply token"},
                                                                            status=400)
    post_webhook(client, event_body(text_event("市長への手紙を出したい")))
    assert requests_to(line_api, PUSH) == []


def test_web_chat_talk_to_a_person_uses_the_same_path(client, line_api, staff_hook):
    r = client.post("/api/ask", json={"tenant": "katori", "text": "市長への手紙を出したい"})
    assert r.status_code == 200 and r.json()["kind"] == "answer"
    r = client.post("/api/ask", json={"tenant": "katori", "text": "人と話したい"})
    body = r.json()
    assert body["handoff"] is True and "秘書広報課" in body["text"]
    assert body["contacts"][0]["name"] == "秘書広報課"
    handoffs = _store(client).list_handoffs("katori")
    assert len(handoffs) == 1 and handoffs[0]["section_id"] == "hisho-koho"
    assert "市長への手紙" in json.loads(staff_hook.log[0][0].get_data())["text"]
