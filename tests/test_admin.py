"""Staff pages (/admin): sign-in, roles, CSRF, tenant isolation, escaping, downloads, and the approval path
from a resident's unanswered question to the bot answering it (against a temporary copy of the knowledge)."""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

REPO_KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"
PASSWORD = "correct horse battery"
XSS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>']
NEW_QUESTION = "ペンギンの飼育係になりたいのですが"


def copy_knowledge(dest: Path, tenants=("iruma", "katori")) -> Path:
    root = dest / "knowledge"
    root.mkdir()
    for t in tenants:
        shutil.copytree(REPO_KNOWLEDGE / t, root / t)
    return root


@pytest.fixture
def admin(app_env, monkeypatch):
    """An app on a temporary knowledge copy (iruma, katori) with one staff user per role."""
    from fastapi.testclient import TestClient
    from bot.kb.registry import set_kb
    from web.app import create_app
    root = copy_knowledge(app_env)
    monkeypatch.setenv("MADOGUCHI_KNOWLEDGE_PATH", str(root))
    monkeypatch.setenv("MADOGUCHI_SESSION_SECRET", "test-session-secret")
    set_kb(None)                         # the process-wide KB must load the copy, not the repository
    app = create_app()
    try:
        with TestClient(app, follow_redirects=False) as c:
            store = app.state.store
            for name, role, tenant in (("viewer", "viewer", "*"), ("editor", "editor", "*"),
                                       ("approver", "approver", "*"), ("approver2", "approver", "*"),
                                       ("katori_ed", "editor", "katori"), ("iruma_ap", "approver", "iruma")):
                store.create_staff(name, PASSWORD, role, tenant)
            c.root = root
            yield c
    finally:
        set_kb(None)


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def login(c, username: str, password: str = PASSWORD):
    page = c.get("/admin/login")
    assert page.status_code == 200
    return c.post("/admin/login", data={"username": username, "password": password, "csrf": csrf_of(page.text)})


def as_user(c, username: str) -> str:
    """Sign in (replacing any session) and return the session's CSRF token."""
    c.cookies.clear()
    r = login(c, username)
    assert r.status_code == 303 and r.headers["location"] == "/admin"
    return csrf_of(c.get("/admin?tenant=iruma" if username != "katori_ed" else "/admin").text)


def ask(c, tenant: str, text: str) -> dict:
    r = c.post("/api/ask", json={"tenant": tenant, "text": text, "lang": "ja"})
    assert r.status_code == 200, r.text
    return r.json()


# ------------------------------------------------------------------ sign-in

PAGES = ["/admin", "/admin/questions", "/admin/review", "/admin/drafts", "/admin/handoffs", "/admin/report",
         "/admin/review/draft?ids=1"]
DOWNLOADS = ["/admin/export.csv", "/admin/export.jsonl", "/admin/review.csv", "/admin/api/summary"]


def test_pages_redirect_and_downloads_401_without_session(admin):
    for path in PAGES:
        r = admin.get(path)
        assert r.status_code == 303, path
        assert r.headers["location"] == "/admin/login"
    for path in DOWNLOADS:
        assert admin.get(path).status_code == 401, path
    for path in ("/admin/reload", "/admin/review/decide", "/admin/drafts/1/approve", "/admin/logout"):
        assert admin.post(path, data={"csrf": "x"}).status_code == 303, path


def test_login_sets_a_strict_httponly_cookie_and_logout_ends_it(admin):
    r = login(admin, "viewer")
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "mdg_staff=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert "Secure" not in cookie                       # plain http in tests
    page = admin.get("/admin?tenant=iruma")
    assert page.status_code == 200 and "viewer" in page.text and "<svg" in page.text
    r = admin.post("/admin/logout", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 303
    admin.cookies.clear()           # the browser drops the deleted cookie; the signed token itself expires later
    assert admin.get("/admin").status_code == 303
    audit = admin.app.state.store.list_audit(action="login")
    assert audit and audit[0]["actor"] == "viewer"


def test_secure_cookie_when_configured(admin, monkeypatch):
    monkeypatch.setenv("MADOGUCHI_SECURE_COOKIES", "1")
    r = login(admin, "viewer")
    assert "Secure" in r.headers["set-cookie"]


def test_wrong_password_and_unknown_user(admin):
    r = login(admin, "viewer", "wrong password!")
    assert r.status_code == 401 and "違います" in r.text
    r = login(admin, "nobody", PASSWORD)
    assert r.status_code == 401
    assert admin.get("/admin").status_code == 303
    assert admin.app.state.store.list_audit(action="login:failed")


def test_login_throttled_after_five_failures(admin):
    for _ in range(5):
        assert login(admin, "editor", "wrong password!").status_code == 401
    r = login(admin, "editor", PASSWORD)              # even the right password waits now
    assert r.status_code == 429
    assert "15分" in r.text and r.headers["content-type"].startswith("text/plain")
    assert login(admin, "viewer").status_code == 303  # another username is not affected


def test_login_form_needs_its_csrf_token(admin):
    admin.get("/admin/login")
    r = admin.post("/admin/login", data={"username": "viewer", "password": PASSWORD, "csrf": "forged"})
    assert r.status_code == 403
    assert "mdg_staff" not in r.headers.get("set-cookie", "")


def test_csrf_rejected_on_post_forms(admin):
    as_user(admin, "approver")
    for path in ("/admin/reload", "/admin/logout", "/admin/review/decide", "/admin/drafts/new"):
        r = admin.post(path, data={"csrf": "not-the-token", "tenant": "iruma"})
        assert r.status_code == 403, path
        r = admin.post(path, data={"tenant": "iruma"})
        assert r.status_code == 403, path


def test_reload_needs_an_approver(admin):
    token = as_user(admin, "editor")
    assert admin.post("/admin/reload", data={"csrf": token, "tenant": "iruma"}).status_code == 403
    token = as_user(admin, "approver")
    v = admin.app.state.kb.version
    r = admin.post("/admin/reload", data={"csrf": token, "tenant": "iruma"})
    assert r.status_code == 303 and admin.app.state.kb.version > v
    assert admin.app.state.store.list_audit(action="kb:reload")


# ------------------------------------------------------------------ review → draft → approval → the bot answers

def _open_group(c, text: str) -> str:
    """The message ids of the review group whose label is `text`, read from the review page."""
    html = c.get("/admin/review?tenant=iruma").text
    i = html.index(text)
    m = re.search(r'name="ids" value="([0-9,]+)"', html[i:])
    return m.group(1)


def test_viewer_cannot_decide_editor_cannot_approve_author_cannot_approve_own(admin):
    a = ask(admin, "iruma", NEW_QUESTION)
    assert a["kind"] != "answer"
    token = as_user(admin, "viewer")
    ids = str(a["message_id"])
    html = admin.get("/admin/review?tenant=iruma").text
    assert NEW_QUESTION in html and "value=\"dismiss\"" not in html       # no decision buttons for a viewer
    r = admin.post("/admin/review/decide", data={"csrf": token, "tenant": "iruma", "ids": ids, "action": "dismiss"})
    assert r.status_code == 403
    assert admin.get(f"/admin/review/draft?tenant=iruma&ids={ids}").status_code == 403

    token = as_user(admin, "approver")                 # an approver writes a draft ...
    r = admin.post("/admin/drafts/new", data={"csrf": token, "tenant": "iruma", "ids": ids,
                                              "q_ja": NEW_QUESTION, "a_ja": "募集はありません。",
                                              "topic": "other"})
    assert r.status_code == 303
    draft = admin.app.state.store.list_drafts("iruma")[0]
    r = admin.post(f"/admin/drafts/{draft['id']}/approve", data={"csrf": token})
    assert r.status_code == 403 and "自分が作った" in r.text      # ... and may not approve it

    token = as_user(admin, "editor")
    r = admin.post(f"/admin/drafts/{draft['id']}/approve", data={"csrf": token})
    assert r.status_code == 403
    r = admin.post(f"/admin/drafts/{draft['id']}/reject", data={"csrf": token})
    assert r.status_code == 403
    assert admin.app.state.store.get_draft(draft["id"])["status"] == "draft"
    assert not (admin.root / "iruma" / "faq_staff.yaml").exists()


def test_new_entry_goes_live_only_after_a_second_person_approves(admin):
    a = ask(admin, "iruma", NEW_QUESTION)
    assert a["kind"] in ("fallback", "choices")
    ask(admin, "iruma", NEW_QUESTION + "？")
    token = as_user(admin, "editor")
    ids = _open_group(admin, NEW_QUESTION)
    assert len(ids.split(",")) == 2                    # both wordings in one group
    form = admin.get(f"/admin/review/draft?tenant=iruma&ids={ids}")
    assert form.status_code == 200 and NEW_QUESTION in form.text
    r = admin.post("/admin/drafts/new", data={
        "csrf": token, "tenant": "iruma", "ids": ids, "q_ja": NEW_QUESTION, "q_en": "I want to be a penguin keeper",
        "a_ja": "入間市にはペンギンの飼育係の募集はありません。", "a_ja-easy": "ぺんぎん の かかり は ぼしゅう して いません。",
        "a_en": "Iruma does not recruit penguin keepers.", "topic": "other"})
    assert r.status_code == 303
    store = admin.app.state.store
    draft = store.list_drafts("iruma")[0]
    assert all(store.get_message(int(i))["review_status"] == "drafted" for i in ids.split(","))
    assert store.list_audit(action="review:drafted")
    assert ask(admin, "iruma", NEW_QUESTION)["kind"] != "answer"      # nothing live before approval

    token = as_user(admin, "approver")
    assert NEW_QUESTION in admin.get("/admin/drafts?tenant=iruma").text
    r = admin.post(f"/admin/drafts/{draft['id']}/approve", data={"csrf": token})
    assert r.status_code == 303 and "msg=approved" in r.headers["location"]

    records = yaml.safe_load((admin.root / "iruma" / "faq_staff.yaml").read_text(encoding="utf-8"))
    assert len(records) == 1 and records[0]["approved_by"] == "approver" and records[0]["approved_at"]
    assert records[0]["questions"]["ja"] == [NEW_QUESTION]
    assert not (REPO_KNOWLEDGE / "iruma" / "faq_staff.yaml").exists()
    a = ask(admin, "iruma", NEW_QUESTION)               # live at once, without a restart
    assert a["kind"] == "answer" and a["entry_id"] == f"iruma/faq:{records[0]['id']}"
    assert "ペンギンの飼育係の募集はありません" in a["text"]
    assert store.list_audit(action="draft:publish")
    assert "公開済み" in admin.get("/admin/drafts?tenant=iruma").text
    # approving twice is refused, and publishing again does not duplicate the record
    assert admin.post(f"/admin/drafts/{draft['id']}/approve", data={"csrf": token}).status_code == 409
    admin.post(f"/admin/drafts/{draft['id']}/publish", data={"csrf": token})
    assert len(yaml.safe_load((admin.root / "iruma" / "faq_staff.yaml").read_text(encoding="utf-8"))) == 1


def test_add_question_to_existing_entry_writes_an_extends_record(admin):
    odd = "ぼこくごで くらしの はなしを きいて ほしいです"
    before = ask(admin, "iruma", odd)
    assert before.get("entry_id") != "iruma/faq:f-gaikokujin-sodan" or before["kind"] != "answer"
    token = as_user(admin, "editor")
    ids = _open_group(admin, odd)
    r = admin.post("/admin/review/decide", data={"csrf": token, "tenant": "iruma", "ids": ids, "action": "add",
                                                 "entry": "faq:f-gaikokujin-sodan"})
    assert r.status_code == 303
    store = admin.app.state.store
    assert store.get_message(int(ids))["review_status"] == "added"
    draft = store.list_drafts("iruma")[0]
    assert draft["entry"] == {"extends": "faq:f-gaikokujin-sodan", "questions": {"ja": [odd]}}
    token = as_user(admin, "approver")
    assert admin.post(f"/admin/drafts/{draft['id']}/approve", data={"csrf": token}).status_code == 303
    rec = yaml.safe_load((admin.root / "iruma" / "faq_staff.yaml").read_text(encoding="utf-8"))[0]
    assert rec["extends"] == "faq:f-gaikokujin-sodan" and "answer" not in rec
    after = ask(admin, "iruma", odd)
    assert after["kind"] == "answer" and after["entry_id"] == "iruma/faq:f-gaikokujin-sodan"


def test_dismiss_and_reject(admin):
    a = ask(admin, "iruma", "宇宙人の住民登録について")
    token = as_user(admin, "editor")
    r = admin.post("/admin/review/decide", data={"csrf": token, "tenant": "iruma", "ids": str(a["message_id"]),
                                                 "action": "dismiss"})
    assert r.status_code == 303
    store = admin.app.state.store
    assert store.get_message(a["message_id"])["review_status"] == "dismissed"
    assert "宇宙人" not in admin.get("/admin/review?tenant=iruma").text
    b = ask(admin, "iruma", NEW_QUESTION)
    admin.post("/admin/drafts/new", data={"csrf": token, "tenant": "iruma", "ids": str(b["message_id"]),
                                          "q_ja": NEW_QUESTION, "a_ja": "いいえ。", "topic": "other"})
    draft = store.list_drafts("iruma")[0]
    token = as_user(admin, "approver")
    assert admin.post(f"/admin/drafts/{draft['id']}/reject", data={"csrf": token}).status_code == 303
    assert store.get_draft(draft["id"])["status"] == "rejected"
    assert not (admin.root / "iruma" / "faq_staff.yaml").exists()


def test_draft_form_validation(admin):
    a = ask(admin, "iruma", NEW_QUESTION)
    token = as_user(admin, "editor")
    r = admin.post("/admin/drafts/new", data={"csrf": token, "tenant": "iruma", "ids": str(a["message_id"]),
                                              "q_ja": NEW_QUESTION, "a_ja": "", "topic": "other"})
    assert r.status_code == 400 and "日本語の回答" in r.text
    r = admin.post("/admin/review/decide", data={"csrf": token, "tenant": "iruma", "ids": str(a["message_id"]),
                                                 "action": "add", "entry": "faq:does-not-exist"})
    assert r.status_code == 400


# ------------------------------------------------------------------ escaping

def test_resident_text_is_escaped_on_every_page(admin):
    store = admin.app.state.store
    ids = []
    for payload in XSS:
        ids.append(ask(admin, "iruma", payload + " 図書館の猫")["message_id"])
        store.record_handoff("iruma", "u-x", payload, ids[-1])
    store.set_feedback(ids[0], "not_helpful", XSS[1], store.get_message(ids[0])["user_key"])
    token = as_user(admin, "editor")
    admin.post("/admin/review/decide", data={"csrf": token, "tenant": "iruma", "ids": str(ids[1]), "action": "add",
                                             "entry": "faq:f-gaikokujin-sodan"})
    store.create_draft("iruma", {"topic": "other", "questions": {"ja": XSS}, "answer": {"ja": XSS[1]}}, "editor")
    pages = ["/admin?tenant=iruma", "/admin/questions?tenant=iruma", "/admin/review?tenant=iruma",
             "/admin/drafts?tenant=iruma", "/admin/handoffs?tenant=iruma", "/admin/report?tenant=iruma&month=" +
             store.get_message(ids[0])["day"][:7], f"/admin/review/draft?tenant=iruma&ids={ids[0]}",
             "/admin/questions?tenant=iruma&q=" + "%3Cscript%3E"]
    for path in pages:
        html = admin.get(path).text
        assert "<script>alert(1)</script>" not in html, path
        assert "<img src=x" not in html, path
        assert "&lt;script&gt;" in html or "&#34;&gt;&lt;img" in html, path


# ------------------------------------------------------------------ downloads

def test_csv_has_bom_and_cp932_variant_and_downloads_are_audited(admin):
    ask(admin, "iruma", "外国人の相談窓口はありますか")
    ask(admin, "iruma", "=cmd|' /C calc'!A0 窓口")
    as_user(admin, "viewer")
    r = admin.get("/admin/export.csv?tenant=iruma")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert len(rows) == 2 and "user_key" not in rows[0]
    assert rows[0]["text"] == "外国人の相談窓口はありますか"
    assert rows[1]["text"].startswith("'=")                 # no formula runs when opened in Excel
    r = admin.get("/admin/export.csv?tenant=iruma&encoding=cp932")
    text = r.content.decode("cp932")
    assert "外国人の相談窓口はありますか" in text and not r.content.startswith(b"\xef\xbb\xbf")
    r = admin.get("/admin/export.jsonl?tenant=iruma")
    lines = [json.loads(l) for l in r.text.splitlines()]
    assert len(lines) == 2 and "user_key" not in lines[0]
    r = admin.get("/admin/review.csv?tenant=iruma")
    assert r.content.startswith(b"\xef\xbb\xbf") and "count" in r.content.decode("utf-8-sig").splitlines()[0]
    actions = [a["action"] for a in admin.app.state.store.list_audit(tenant="iruma")]
    for action in ("download:questions_csv", "download:questions_jsonl", "download:review_groups"):
        assert action in actions
    assert admin.get("/admin/export.csv?tenant=iruma&encoding=latin-1").status_code == 400


def test_date_range_filters_the_export(admin):
    ask(admin, "iruma", "外国人の相談窓口はありますか")
    as_user(admin, "viewer")
    r = admin.get("/admin/export.csv?tenant=iruma&since=2000-01-01&until=2000-01-31")
    assert len(list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))) == 1      # header only


# ------------------------------------------------------------------ tenant isolation

def test_one_city_staff_never_sees_another_city(admin):
    store = admin.app.state.store
    a = ask(admin, "iruma", "入間市だけの秘密の質問です")
    ask(admin, "katori", "香取市の質問です図書館の猫")
    hid = store.record_handoff("iruma", "u-1", "入間の依頼")
    iruma_draft = store.create_draft("iruma", {"topic": "other", "questions": {"ja": ["q"]}, "answer": {"ja": "a"}},
                                     "editor")
    token = as_user(admin, "katori_ed")
    for path in ("/admin?tenant=iruma", "/admin/questions?tenant=iruma", "/admin/review?tenant=iruma",
                 "/admin/export.csv?tenant=iruma", "/admin/api/summary?tenant=iruma", "/admin/report?tenant=iruma"):
        assert admin.get(path).status_code == 403, path
    for path in ("/admin", "/admin/questions", "/admin/review", "/admin/handoffs"):
        html = admin.get(path).text
        assert "秘密" not in html and "入間の依頼" not in html, path
    assert "香取市の質問" in admin.get("/admin/questions").text
    csv_text = admin.get("/admin/export.csv").content.decode("utf-8-sig")
    assert "秘密" not in csv_text and "香取市の質問" in csv_text
    # posting another city's ids does nothing
    r = admin.post("/admin/review/decide", data={"csrf": token, "ids": str(a["message_id"]), "action": "dismiss"})
    assert r.status_code == 404 and store.get_message(a["message_id"])["review_status"] != "dismissed"
    r = admin.post("/admin/review/decide", data={"csrf": token, "tenant": "iruma", "ids": str(a["message_id"]),
                                                 "action": "dismiss"})
    assert r.status_code == 403
    assert admin.post(f"/admin/handoffs/{hid}/done", data={"csrf": token}).status_code == 404
    assert store.list_handoffs("iruma")[0]["status"] == "open"
    as_user(admin, "approver")           # '*' staff: the draft is theirs to see; iruma_ap is not katori's
    token = as_user(admin, "iruma_ap")
    assert admin.post(f"/admin/drafts/{iruma_draft}/reject", data={"csrf": token}).status_code == 303
    kd = store.create_draft("katori", {"topic": "other", "questions": {"ja": ["q"]}, "answer": {"ja": "a"}}, "x")
    assert admin.post(f"/admin/drafts/{kd}/approve", data={"csrf": token}).status_code == 404
    assert store.get_draft(kd)["status"] == "draft"


def test_star_staff_picks_a_tenant(admin):
    ask(admin, "katori", "香取市の図書館の猫について")
    as_user(admin, "viewer")
    html = admin.get("/admin?tenant=katori").text
    assert '<select name="tenant">' in html and "香取市" in html
    assert "香取市の図書館の猫" in admin.get("/admin/questions?tenant=katori").text
    assert admin.get("/admin?tenant=nowhere").status_code == 404


# ------------------------------------------------------------------ pages and data

def test_dashboard_figures(admin):
    store = admin.app.state.store
    a = ask(admin, "iruma", "外国人の相談窓口はありますか")
    assert a["kind"] == "answer"
    store.set_feedback(a["message_id"], "helpful", None, store.get_message(a["message_id"])["user_key"])
    ask(admin, "iruma", NEW_QUESTION)
    as_user(admin, "viewer")
    d = admin.get("/admin/api/summary?tenant=iruma").json()
    assert d["total"] == 2 and d["helpful"]["rate"] == 1.0
    assert sum(c for _, c in d["per_day"]) == 2 and len(d["per_day"]) == 30
    entry = admin.app.state.kb.get("iruma").by_id[a["entry_id"]]
    if entry.measure_id:
        assert d["measures"][0]["count"] == 1
    assert d["groups"][0]["label"] == NEW_QUESTION
    html = admin.get("/admin?tenant=iruma").text
    assert html.count("<svg") >= 5 and "解決率" in html and "クラスタ" not in html
    assert "グループ" in admin.get("/admin/review?tenant=iruma").text


def test_questions_filters_and_paging(admin):
    store = admin.app.state.store
    for i in range(55):
        store.record_message(tenant="iruma", channel="web", user_key="u", kind="fallback", text=f"質問{i:02d}",
                             language="ja")
    store.record_message(tenant="iruma", channel="web", user_key="u", kind="answer", text="答えた質問",
                         language="en")
    as_user(admin, "viewer")
    html = admin.get("/admin/questions?tenant=iruma").text
    assert "56 件" in html and "次へ" in html
    html = admin.get("/admin/questions?tenant=iruma&page=2").text
    assert "質問00" in html and "前へ" in html
    html = admin.get("/admin/questions?tenant=iruma&kind=answer").text
    assert "1 件" in html and "答えた質問" in html
    assert "1 件" in admin.get("/admin/questions?tenant=iruma&language=en").text
    assert "1 件" in admin.get("/admin/questions?tenant=iruma&q=質問07").text
    assert "56 件" in admin.get("/admin/questions?tenant=iruma&review_status=none").text
    assert admin.get("/admin/questions?tenant=iruma&kind=bogus").status_code == 400
    assert admin.get("/admin/questions?tenant=iruma&since=yesterday").status_code == 400


def test_handoffs_masked_and_marked_done(admin):
    store = admin.app.state.store
    hid = store.record_handoff("iruma", "u-1", "電話番号は090-1234-5678です")
    token = as_user(admin, "viewer")
    html = admin.get("/admin/handoffs?tenant=iruma").text
    assert "090-1234-5678" not in html and "対応済みにする" not in html
    assert admin.post(f"/admin/handoffs/{hid}/done", data={"csrf": token, "tenant": "iruma"}).status_code == 403
    token = as_user(admin, "editor")
    r = admin.post(f"/admin/handoffs/{hid}/done", data={"csrf": token, "tenant": "iruma"})
    assert r.status_code == 303
    assert store.list_handoffs("iruma", "open") == []
    assert store.list_audit(action="handoff:done")


def test_monthly_report_is_printable(admin):
    a = ask(admin, "iruma", "外国人の相談窓口はありますか")
    ask(admin, "iruma", NEW_QUESTION)
    month = admin.app.state.store.get_message(a["message_id"])["day"][:7]
    as_user(admin, "viewer")
    html = admin.get(f"/admin/report?tenant=iruma&month={month}").text
    assert "月次報告" in html and NEW_QUESTION in html and "<svg" in html
    assert 'class="top no-print"' in html
    css = admin.get("/static/admin.css").text
    assert "@media print" in css and ".no-print" in css
    assert admin.get("/admin/report?tenant=iruma&month=2026-13").status_code == 400


def test_pages_send_no_external_resources(admin):
    as_user(admin, "viewer")
    for path in ("/admin?tenant=iruma", "/admin/review?tenant=iruma", "/admin/report?tenant=iruma"):
        html = admin.get(path).text
        assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert "https://" not in html and "<script" not in html
