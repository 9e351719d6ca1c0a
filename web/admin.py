"""Staff pages (/admin): dashboard, question list, review of unanswered questions, drafts, handoffs, monthly
report and downloads.  Japanese first; every resident text is escaped by Jinja2's autoescape.

Roles: viewer (read, download) < editor (decide on review groups, write drafts) < approver (approve drafts,
reload the knowledge base).  A staff user of one city only ever sees that city's data.
"""
from __future__ import annotations

import asyncio
import csv
import io
import itertools
import json
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time as dtime, timedelta
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, StreamingResponse
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.kb import drafts as kb_drafts
from bot.kb.schema import Faq, TOPICS
from bot.languages import LANGUAGES
from bot.recording import EXPORT_FIELDS
from bot.review import REASONS, group_questions, review_groups
from bot.store.store import KINDS, LOCAL_TZ, REVIEW_STATUSES, ts
from bot.textproc import has_japanese
from web import charts
from web.admin_auth import (ROLE_NAMES, THROTTLE_MESSAGE, Staff, _wants_json, check_csrf, client_ip,
                            current_staff, end_session, login_token, login_token_ok, require, set_login_token,
                            start_session, throttle_of)
from web.paths import TEMPLATES

log = logging.getLogger("madoguchi.admin")

KIND_NAMES = {"answer": "回答した", "choices": "候補を示した", "fallback": "答えられなかった", "smalltalk": "あいさつ等",
              "handoff": "職員につないだ", "system": "システム"}
LANGUAGE_NAMES = {"ja": "日本語", "ja-easy": "やさしい日本語", "en": "英語", "zh": "中国語", "ko": "韓国語",
                  "vi": "ベトナム語", "tl": "タガログ語", "pt": "ポルトガル語", "ne": "ネパール語", "id": "インドネシア語"}
FEEDBACK_NAMES = {"helpful": "役に立った", "not_helpful": "役に立たなかった"}
STATUS_NAMES = {"none": "未確認", "open": "確認待ち", "added": "既存の回答に追加", "drafted": "新しい回答を作成",
                "dismissed": "対応不要"}
ENTRY_KIND_NAMES = {"faq": "よくある質問", "measure": "施策", "target": "指標", "program": "事業・制度",
                    "term": "用語", "section": "担当課"}
NOTICES = {       # fixed texts only: a ?msg= value never reaches the page as such
    "decided": "決定を記録しました。", "drafted": "下書きを作りました。承認者の承認を待っています。",
    "approved": "承認しました。ボットはこの回答をすぐに使います。", "rejected": "差し戻しました。",
    "published": "公開しました。", "publish_failed": "承認しましたが、ファイルへの書き込みに失敗しました。管理者に連絡してください。",
    "handoff_done": "対応済みにしました。", "reloaded": "知識ベースを読み込み直しました。", "logged_out": "ログアウトしました。",
}
PAGE_SIZE = 50
DASHBOARD_GROUPS = 1000          # newest open review questions grouped for the dashboard


class _AdminRoute(APIRoute):
    """Errors on staff pages render as a page (JSON stays JSON); a redirect is a real 303."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def route(request: Request):
            try:
                return await handler(request)
            except HTTPException as e:
                if e.status_code == 303 and e.headers and "Location" in e.headers:
                    return RedirectResponse(e.headers["Location"], status_code=303)
                if _wants_json(request) or e.status_code < 400:
                    raise
                html = _env.get_template("admin/error.html").render(status=e.status_code, message=str(e.detail))
                return HTMLResponse(html, status_code=e.status_code)

        return route


router = APIRouter(prefix="/admin", route_class=_AdminRoute, include_in_schema=False)
_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True,
                   lstrip_blocks=True)
_env.globals.update(KIND_NAMES=KIND_NAMES, LANGUAGE_NAMES=LANGUAGE_NAMES, FEEDBACK_NAMES=FEEDBACK_NAMES,
                    STATUS_NAMES=STATUS_NAMES, REASONS=REASONS, ROLE_NAMES=ROLE_NAMES,
                    ENTRY_KIND_NAMES=ENTRY_KIND_NAMES)


# ------------------------------------------------------------------ helpers

def _kb(request: Request):
    return request.app.state.kb


def _store(request: Request):
    return request.app.state.store


def _tenant(request: Request, staff: Staff, form: dict | None = None) -> str:
    """The tenant this request is about: a one-city user's own, or the one a '*' user picked."""
    asked = (form or {}).get("tenant") or request.query_params.get("tenant") or ""
    names = _kb(request).names()
    if staff.tenant != "*":
        if asked and asked != staff.tenant:
            raise HTTPException(403, "この市のデータは見られません。")
        return staff.tenant
    if asked:
        if asked not in names:
            raise HTTPException(404, "その市はありません。")
        return asked
    if not names:
        raise HTTPException(404, "市が登録されていません。")
    return names[0]


def _day(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise HTTPException(400, "日付は YYYY-MM-DD の形で入れてください。")


def _local_midnight(d: date) -> datetime:
    return datetime.combine(d, dtime(0, 0), tzinfo=LOCAL_TZ)


def date_range(since: str | None, until: str | None, default_days: int = 30) -> tuple[date, date]:
    """(first day, last day) in Asia/Tokyo, both included; default the last `default_days` days."""
    today = datetime.now(LOCAL_TZ).date()
    last = _day(until) or today
    first = _day(since) or (last - timedelta(days=default_days - 1))
    if first > last:
        first, last = last, first
    return first, last


def bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """Store arguments for local days first..last: [since, until)."""
    return _local_midnight(first), _local_midnight(last + timedelta(days=1))


def _title(entry, lang: str = "ja") -> str:
    return entry.title.get(lang) or entry.title.get("ja") or next(iter(entry.title.values()), entry.id)


def measure_interest(kb, tenant: str, entries: list[dict], limit: int = 10) -> list[dict]:
    """Questions per plan measure (施策): messages.entry_id → entry.measure_id → that measure's title."""
    tkb = kb.get(tenant)
    if tkb is None:
        return []
    per: dict[str, int] = {}
    for row in entries:
        e = tkb.by_id.get(row["entry_id"])
        if e is not None and e.measure_id:
            per[e.measure_id] = per.get(e.measure_id, 0) + int(row["count"])
    out = []
    for mid, n in sorted(per.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]:
        m = tkb.by_id.get(f"{tenant}/measure:{mid}")
        out.append({"measure_id": mid, "title": _title(m) if m else mid, "count": n})
    return out


def _fill_days(rows: list[dict], first: date, last: date) -> list[tuple[str, int]]:
    counts = {r["day"]: int(r["count"]) for r in rows}
    n = (last - first).days + 1
    return [((first + timedelta(days=i)).isoformat(), counts.get((first + timedelta(days=i)).isoformat(), 0))
            for i in range(n)]


_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dashboard")


def dashboard_data(store, kb, tenant: str, first: date, last: date, groups: int = 10) -> dict:
    """Every figure the dashboard shows (also the JSON API and the benchmark).

    The independent queries run side by side (each worker thread has its own connection; SQLite in WAL mode
    and PostgreSQL both serve concurrent readers), so a year's range costs the slowest query, not the sum.
    """
    since, until = bounds(first, last)
    jobs = {
        "kinds": _POOL.submit(store.count_by, tenant, "kind", since, until),
        "entries": _POOL.submit(store.top_entries, tenant, since, until, 100_000),
        "per_day": _POOL.submit(store.count_by_day, tenant, since, until),
        "languages": _POOL.submit(store.count_by, tenant, "language", since, until),
        "helpful": _POOL.submit(store.helpful_rate, tenant, since, until),
        "groups": _POOL.submit(review_groups, store, tenant, DASHBOARD_GROUPS) if groups else None,
    }
    got = {k: (f.result() if f is not None else []) for k, f in jobs.items()}
    kinds, entries = got["kinds"], got["entries"]
    tkb = kb.get(tenant)
    return {
        "tenant": tenant, "since": first.isoformat(), "until": last.isoformat(),
        "total": sum(int(r["count"]) for r in kinds),
        "per_day": _fill_days(got["per_day"], first, last),
        "languages": got["languages"],
        "kinds": kinds,
        "helpful": got["helpful"],
        "measures": measure_interest(kb, tenant, entries),
        "top_entries": [{**r, "title": _title(tkb.by_id[r["entry_id"]])
                         if tkb and r["entry_id"] in tkb.by_id else r["entry_id"]} for r in entries[:10]],
        "groups": got["groups"][:groups],
    }


def _render(request: Request, staff: Staff, template: str, tenant: str | None, **ctx) -> HTMLResponse:
    kb = _kb(request)
    tenants = [(t, kb.get(t).tenant.city.name.get("ja", t)) for t in kb.names() if staff.sees(t)]
    html = _env.get_template(f"admin/{template}").render(
        staff=staff, tenant=tenant, tenants=tenants, csrf=staff.csrf,
        tq=urlencode({"tenant": tenant}) if tenant else "",
        city=dict(tenants).get(tenant, tenant), notice=NOTICES.get(request.query_params.get("msg", "")),
        path=request.url.path, **ctx)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def _back(path: str, tenant: str, msg: str, **extra) -> RedirectResponse:
    return RedirectResponse(f"{path}?{urlencode({'tenant': tenant, 'msg': msg, **extra})}", status_code=303)


def _ids(raw: str) -> list[int]:
    ids = []
    for part in re.split(r"[,\s]+", raw or ""):
        if part:
            if not part.isdigit():
                raise HTTPException(400, "質問の番号が正しくありません。")
            ids.append(int(part))
    if not ids:
        raise HTTPException(400, "質問が選ばれていません。")
    return sorted(set(ids))[:2000]


def _question_lang(m: dict) -> str:
    lang = m.get("language")
    if has_japanese(m.get("text") or ""):
        return "ja-easy" if lang == "ja-easy" else "ja"
    return lang if lang in LANGUAGES and lang not in ("ja", "ja-easy") else "en"


def _questions_of(messages: list[dict], limit: int = 30) -> dict[str, list[str]]:
    """Distinct wordings per language, most asked first."""
    counts: dict[tuple[str, str], int] = {}
    for m in messages:
        t = (m.get("text") or "").strip()
        if t:
            key = (_question_lang(m), t)
            counts[key] = counts.get(key, 0) + 1
    out: dict[str, list[str]] = {}
    for (lang, t), _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if sum(len(v) for v in out.values()) < limit:
            out.setdefault(lang, []).append(t[:500])
    return out


def _own_messages(store, tenant: str, ids: list[int]) -> list[dict]:
    msgs = [store.get_message(i) for i in ids]
    return [m for m in msgs if m is not None and m["tenant"] == tenant]


# ------------------------------------------------------------------ login / logout

@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request):
    return _login_form(request)


def _login_form(request: Request, error: str = "", status: int = 200, username: str = "") -> HTMLResponse:
    token, new = login_token(request)
    html = _env.get_template("admin/login.html").render(csrf=token, error=error, username=username,
                                                       notice=NOTICES.get(request.query_params.get("msg", "")))
    resp = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
    if new:
        set_login_token(resp, request, token)
    return resp


@router.post("/login")
async def login(request: Request):
    form = await request.form()
    username = str(form.get("username", ""))[:100].strip()
    password = str(form.get("password", ""))[:1000]
    if not login_token_ok(request, str(form.get("csrf", ""))):
        return _login_form(request, "フォームの有効期限が切れました。もう一度入力してください。", 403, username)
    throttle, ip = throttle_of(request), client_ip(request)
    if throttle.blocked(username, ip):
        return PlainTextResponse(THROTTLE_MESSAGE, status_code=429, headers={"Retry-After": "900"})
    store = _store(request)
    staff = await asyncio.to_thread(store.verify_staff, username, password) if username and password else None
    if staff is None:
        throttle.failed(username, ip)
        await asyncio.to_thread(store.audit, "*", username or "-", "login:failed", {"ip": ip})
        return _login_form(request, "ユーザー名またはパスワードが違います。", 401, username)
    throttle.succeeded(username, ip)
    await asyncio.to_thread(store.audit, staff["tenant"], staff["username"], "login", {"ip": ip})
    resp = RedirectResponse("/admin", status_code=303)
    start_session(resp, request, staff["username"])
    return resp


@router.post("/logout")
async def logout(request: Request, staff: Staff = Depends(current_staff)):
    await check_csrf(request, staff)
    resp = RedirectResponse("/admin/login?msg=logged_out", status_code=303)
    end_session(resp)
    return resp


# ------------------------------------------------------------------ dashboard

@router.get("", response_class=HTMLResponse)
@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def dashboard(request: Request, since: str | None = None, until: str | None = None,
                    staff: Staff = Depends(current_staff)):
    tenant = _tenant(request, staff)
    first, last = date_range(since, until)
    d = await asyncio.to_thread(dashboard_data, _store(request), _kb(request), tenant, first, last)
    svg = {
        "per_day": charts.bars_by_day(d["per_day"], "1日ごとの質問の数"),
        "languages": charts.hbars([(LANGUAGE_NAMES.get(r["value"], r["value"] or "不明"), r["count"])
                                   for r in d["languages"]], "言語別の質問の数", unit="件"),
        "kinds": charts.hbars([(KIND_NAMES.get(r["value"], r["value"]), r["count"]) for r in d["kinds"]],
                              "結果別の質問の数", unit="件"),
        "helpful": charts.rate_bar(d["helpful"]["helpful"], d["helpful"]["not_helpful"], "解決率"),
        "measures": charts.hbars([(m["title"], m["count"]) for m in d["measures"]], "よく聞かれる施策", unit="件"),
        "groups": charts.hbars([(g.label, g.count) for g in d["groups"]], "答えられなかった質問のグループ", unit="件"),
    }
    return _render(request, staff, "dashboard.html", tenant, d=d, svg=svg, first=first, last=last)


@router.get("/api/summary")
async def api_summary(request: Request, since: str | None = None, until: str | None = None,
                      staff: Staff = Depends(current_staff)):
    tenant = _tenant(request, staff)
    first, last = date_range(since, until)
    d = await asyncio.to_thread(dashboard_data, _store(request), _kb(request), tenant, first, last)
    d["groups"] = [{"label": g.label, "count": g.count, "texts": g.texts[:5], "reasons": g.reasons}
                   for g in d["groups"]]
    return JSONResponse(d)


# ------------------------------------------------------------------ question list

@router.get("/questions", response_class=HTMLResponse)
async def questions(request: Request, staff: Staff = Depends(current_staff)):
    tenant = _tenant(request, staff)
    p = request.query_params
    first, last = date_range(p.get("since"), p.get("until"), default_days=365)
    since, until = bounds(first, last)
    filters = {"since": since, "until": until}
    for name, allowed in (("kind", KINDS), ("language", LANGUAGES), ("feedback", tuple(FEEDBACK_NAMES)),
                          ("review_status", ("none",) + REVIEW_STATUSES)):
        v = p.get(name) or ""
        if v:
            if v not in allowed:
                raise HTTPException(400, f"{name} の値が正しくありません。")
            filters[name] = v
    q = (p.get("q") or "").strip()[:200]
    if q:
        filters["q"] = q
    try:
        page = max(1, int(p.get("page") or 1))
    except ValueError:
        page = 1
    store = _store(request)
    total = await asyncio.to_thread(store.count_messages, tenant, **filters)
    rows = await asyncio.to_thread(store.list_messages, tenant, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
                                   **filters)
    kb = _kb(request).get(tenant)
    for r in rows:
        e = kb.by_id.get(r["entry_id"]) if kb and r["entry_id"] else None
        r["entry_title"] = _title(e) if e else (r["entry_id"] or "")
    shown = {k: (v if isinstance(v, str) else "") for k, v in filters.items()}
    shown.update(since=first.isoformat(), until=last.isoformat())
    base_q = {"tenant": tenant, **{k: v for k, v in shown.items() if v}}
    pages = max(1, -(-total // PAGE_SIZE))
    return _render(request, staff, "questions.html", tenant, rows=rows, total=total, page=page, pages=pages,
                   f=shown, prev_q=urlencode({**base_q, "page": page - 1}) if page > 1 else "",
                   next_q=urlencode({**base_q, "page": page + 1}) if page < pages else "",
                   languages=LANGUAGES, kinds=KINDS, statuses=("none",) + REVIEW_STATUSES)


# ------------------------------------------------------------------ review of unanswered questions

def _entry_choices(kb, tenant: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Entries staff can add a question to, by kind: [(kind name, [(entry ref, title)])]."""
    tkb = kb.get(tenant)
    by_kind: dict[str, list[tuple[str, str]]] = {}
    for e in tkb.entries if tkb else []:
        by_kind.setdefault(e.kind, []).append((e.id.split("/", 1)[1], _title(e)))
    return [(ENTRY_KIND_NAMES.get(k, k), sorted(v, key=lambda x: x[1])) for k, v in by_kind.items()]


@router.get("/review", response_class=HTMLResponse)
async def review(request: Request, staff: Staff = Depends(current_staff)):
    tenant = _tenant(request, staff)
    groups = await asyncio.to_thread(review_groups, _store(request), tenant)
    return _render(request, staff, "review.html", tenant, groups=groups[:200], total=len(groups),
                   entries=_entry_choices(_kb(request), tenant), can_decide=staff.can("editor"))


@router.post("/review/decide")
async def review_decide(request: Request, staff: Staff = Depends(current_staff)):
    form = await check_csrf(request, staff)
    require(staff, "editor")
    tenant = _tenant(request, staff, form)
    action = str(form.get("action", ""))
    ids = _ids(str(form.get("ids", "")))
    store = _store(request)
    msgs = await asyncio.to_thread(_own_messages, store, tenant, ids)
    if not msgs:
        raise HTTPException(404, "その質問はありません。")
    detail = {"group_size": len(msgs)}
    if action == "dismiss":
        status = "dismissed"
    elif action == "add":
        ref = str(form.get("entry", ""))
        tkb = _kb(request).get(tenant)
        if not tkb or f"{tenant}/{ref}" not in tkb.by_id:
            raise HTTPException(400, "追加先の回答を選んでください。")
        entry = {"extends": ref, "questions": _questions_of(msgs)}
        draft_id = await asyncio.to_thread(store.create_draft, tenant, entry, staff.username,
                                           [m["id"] for m in msgs])
        status, detail = "added", {**detail, "entry": ref, "draft_id": draft_id}
    else:
        raise HTTPException(400, "操作を選んでください。")
    for m in msgs:
        await asyncio.to_thread(store.set_review_status, tenant, m["id"], status, staff.username, detail)
    return _back("/admin/review", tenant, "drafted" if action == "add" else "decided")


@router.get("/review/draft", response_class=HTMLResponse)
async def draft_form(request: Request, staff: Staff = Depends(current_staff)):
    require(staff, "editor")
    tenant = _tenant(request, staff)
    ids = _ids(request.query_params.get("ids", ""))
    msgs = await asyncio.to_thread(_own_messages, _store(request), tenant, ids)
    if not msgs:
        raise HTTPException(404, "その質問はありません。")
    qs = _questions_of(msgs)
    langs = ["ja", "ja-easy", "en"] + [l for l in LANGUAGES if l in qs and l not in ("ja", "ja-easy", "en")]
    tkb = _kb(request).get(tenant)
    return _render(request, staff, "draft_new.html", tenant, ids=",".join(str(m["id"]) for m in msgs),
                   questions={l: "\n".join(qs.get(l, [])) for l in langs}, langs=langs, topics=TOPICS,
                   sections=[(s.id, s.name.get("ja", s.id)) for s in tkb.tenant.sections],
                   documents=[(d.id, d.title) for d in tkb.tenant.city.documents],
                   measures=[(m.id, f"{m.number} {m.title.get('ja', m.id)}".strip()) for m in tkb.tenant.measures],
                   error="", form={})


def _draft_entry(form, tkb) -> dict:
    """A new FAQ entry from the draft form, validated (the id is given at approval)."""
    questions = {}
    for lang in LANGUAGES:
        lines = [l.strip() for l in str(form.get(f"q_{lang}", "")).splitlines() if l.strip()]
        if lines:
            questions[lang] = lines[:50]
    answer = {lang: str(form.get(f"a_{lang}", "")).strip() for lang in ("ja", "ja-easy", "en")}
    answer = {k: v for k, v in answer.items() if v}
    entry: dict = {"topic": str(form.get("topic") or "other"), "questions": questions, "answer": answer}
    known_sections = {s.id for s in tkb.tenant.sections}
    sections = [s for s in form.getlist("sections") if s in known_sections]
    if sections:
        entry["sections"] = sections
    measure = str(form.get("measure", ""))
    if measure and measure in {m.id for m in tkb.tenant.measures}:
        entry["related"] = [measure]
    doc = str(form.get("source_document", ""))
    if doc and doc in {d.id for d in tkb.tenant.city.documents}:
        entry["source"] = {"document": doc, "section": str(form.get("source_section", "")).strip()[:200]}
    if not questions:
        raise ValueError("質問を1つ以上入れてください。")
    if not answer.get("ja"):
        raise ValueError("日本語の回答を入れてください。")
    if entry["topic"] not in TOPICS:
        raise ValueError("分野を選んでください。")
    Faq.model_validate({"id": "draft", **entry})
    return entry


@router.post("/drafts/new")
async def draft_create(request: Request, staff: Staff = Depends(current_staff)):
    form = await check_csrf(request, staff)
    require(staff, "editor")
    tenant = _tenant(request, staff, form)
    ids = _ids(str(form.get("ids", "")))
    store, tkb = _store(request), _kb(request).get(tenant)
    msgs = await asyncio.to_thread(_own_messages, store, tenant, ids)
    try:
        entry = _draft_entry(form, tkb)
    except ValueError as e:
        raise HTTPException(400, f"下書きを作れません：{e}")
    draft_id = await asyncio.to_thread(store.create_draft, tenant, entry, staff.username, [m["id"] for m in msgs])
    for m in msgs:
        await asyncio.to_thread(store.set_review_status, tenant, m["id"], "drafted", staff.username,
                                {"draft_id": draft_id})
    return _back("/admin/drafts", tenant, "drafted")


@router.get("/review.csv")
async def review_csv(request: Request, encoding: str = "utf-8", staff: Staff = Depends(current_staff)):
    if encoding not in ("utf-8", "cp932"):
        raise HTTPException(400, "encoding は utf-8 か cp932 です。")
    tenant = _tenant(request, staff)
    groups = await asyncio.to_thread(review_groups, _store(request), tenant)
    await asyncio.to_thread(_store(request).audit, tenant, staff.username, "download:review_groups",
                            {"format": "csv", "encoding": encoding, "groups": len(groups)})
    header = ["group", "count", "label", "wordings", "reasons", "languages", "latest", "message_ids"]
    rows = ([g.key, g.count, g.label, " / ".join(g.texts[:20]),
             " ".join(f"{REASONS.get(k, k)}:{v}" for k, v in g.reasons.items()),
             " ".join(f"{k}:{v}" for k, v in g.languages.items()), g.latest, " ".join(map(str, g.message_ids))]
            for g in groups)
    return _csv_response(iter([header, *rows]), encoding, f"review-groups-{tenant}.csv")


# ------------------------------------------------------------------ drafts

def _draft_view(kb, d: dict) -> dict:
    entry = d["entry"]
    tkb = kb.get(d["tenant"])
    target = entry.get("extends")
    e = tkb.by_id.get(f"{d['tenant']}/{target}") if tkb and target else None
    return {**d, "kind": "add" if target else "new", "target_title": _title(e) if e else (target or ""),
            "published": kb_drafts.is_published(kb, d) if d["status"] == "approved" else False}


@router.get("/drafts", response_class=HTMLResponse)
async def drafts(request: Request, staff: Staff = Depends(current_staff)):
    tenant = _tenant(request, staff)
    store, kb = _store(request), _kb(request)

    def load():
        return {s: [_draft_view(kb, d) for d in store.list_drafts(tenant, s, limit=100 if s == "draft" else 20)]
                for s in ("draft", "approved", "rejected")}

    lists = await asyncio.to_thread(load)
    return _render(request, staff, "drafts.html", tenant, lists=lists, can_approve=staff.can("approver"))


def _load_draft(store, staff: Staff, draft_id: int) -> dict:
    d = store.get_draft(draft_id)
    if d is None or not staff.sees(d["tenant"]):
        raise HTTPException(404, "その下書きはありません。")
    return d


@router.post("/drafts/{draft_id}/approve")
async def draft_approve(request: Request, draft_id: int, staff: Staff = Depends(current_staff)):
    await check_csrf(request, staff)
    require(staff, "approver")
    store, kb = _store(request), _kb(request)
    d = await asyncio.to_thread(_load_draft, store, staff, draft_id)
    try:      # check it can go live before approving: an approved draft that cannot be written helps nobody
        kb_drafts.build_record({**d, "status": "approved", "approved_by": staff.username, "approved_at": "x"})
        ref = d["entry"].get("extends")
        if ref and f"{d['tenant']}/{ref}" not in kb.get(d["tenant"]).by_id:
            raise kb_drafts.DraftError(f"entry {ref} no longer exists")
    except kb_drafts.DraftError as e:
        raise HTTPException(400, f"この下書きは公開できません：{e}")
    try:
        approved = await asyncio.to_thread(store.approve_draft, draft_id, staff.username)
    except PermissionError:
        raise HTTPException(403, "自分が作った下書きは承認できません。ほかの承認者に依頼してください。"
                            if d["created_by"] == staff.username else "この下書きを承認する権限がありません。")
    except ValueError:
        raise HTTPException(409, "この下書きはすでに処理されています。")
    return await _publish(request, staff, approved, "approved")


async def _publish(request: Request, staff: Staff, draft: dict, msg: str) -> RedirectResponse:
    store, kb = _store(request), _kb(request)
    try:
        record = await asyncio.to_thread(kb_drafts.publish, kb, draft)
    except (kb_drafts.DraftError, OSError) as e:
        log.exception("publishing draft %s failed", draft["id"])
        await asyncio.to_thread(store.audit, draft["tenant"], staff.username, "draft:publish_failed",
                                {"draft_id": draft["id"], "error": str(e)[:500]})
        return _back("/admin/drafts", draft["tenant"], "publish_failed")
    await asyncio.to_thread(store.audit, draft["tenant"], staff.username, "draft:publish",
                            {"draft_id": draft["id"], "record": record["id"], "kb_version": kb.version})
    return _back("/admin/drafts", draft["tenant"], msg)


@router.post("/drafts/{draft_id}/publish")
async def draft_publish(request: Request, draft_id: int, staff: Staff = Depends(current_staff)):
    """Retry writing an approved draft whose file write failed (idempotent: the record id is fixed)."""
    await check_csrf(request, staff)
    require(staff, "approver")
    d = await asyncio.to_thread(_load_draft, _store(request), staff, draft_id)
    if d["status"] != "approved":
        raise HTTPException(409, "承認された下書きだけを公開できます。")
    return await _publish(request, staff, d, "published")


@router.post("/drafts/{draft_id}/reject")
async def draft_reject(request: Request, draft_id: int, staff: Staff = Depends(current_staff)):
    await check_csrf(request, staff)
    require(staff, "approver")
    store = _store(request)
    d = await asyncio.to_thread(_load_draft, store, staff, draft_id)
    try:
        await asyncio.to_thread(store.reject_draft, draft_id, staff.username)
    except PermissionError:
        raise HTTPException(403, "この下書きを差し戻す権限がありません。")
    except ValueError:
        raise HTTPException(409, "この下書きはすでに処理されています。")
    return _back("/admin/drafts", d["tenant"], "rejected")


# ------------------------------------------------------------------ handoffs

@router.get("/handoffs", response_class=HTMLResponse)
async def handoffs(request: Request, status: str = "open", staff: Staff = Depends(current_staff)):
    tenant = _tenant(request, staff)
    if status not in ("open", "done", "all"):
        raise HTTPException(400, "status の値が正しくありません。")
    rows = await asyncio.to_thread(_store(request).list_handoffs, tenant, None if status == "all" else status, 200)
    return _render(request, staff, "handoffs.html", tenant, rows=rows, status=status,
                   can_close=staff.can("editor"))


@router.post("/handoffs/{handoff_id}/done")
async def handoff_done(request: Request, handoff_id: int, staff: Staff = Depends(current_staff)):
    form = await check_csrf(request, staff)
    require(staff, "editor")
    tenant = _tenant(request, staff, form)
    ok = await asyncio.to_thread(_store(request).set_handoff_status, tenant, handoff_id, "done", staff.username)
    if not ok:
        raise HTTPException(404, "その依頼はありません。")
    return _back("/admin/handoffs", tenant, "handoff_done")


# ------------------------------------------------------------------ monthly report

def _month(text: str | None) -> date:
    if not text:
        today = datetime.now(LOCAL_TZ).date()
        return (today.replace(day=1) - timedelta(days=1)).replace(day=1)       # last full month
    m = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise HTTPException(400, "月は YYYY-MM の形で入れてください。")
    return date(int(m.group(1)), int(m.group(2)), 1)


def report_data(store, kb, tenant: str, month: date) -> dict:
    last = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    d = dashboard_data(store, kb, tenant, month, last, groups=0)
    lo, hi = (ts(x) for x in bounds(month, last))
    queue = [m for m in store.review_queue(tenant, limit=20_000) if lo <= m["created_at"] < hi]
    d["groups"] = group_questions(queue)[:15]
    d["unanswered"] = sum(int(r["count"]) for r in d["kinds"] if r["value"] == "fallback")
    d["month"], d["last"] = month, last
    return d


@router.get("/report", response_class=HTMLResponse)
async def report(request: Request, month: str | None = None, staff: Staff = Depends(current_staff)):
    tenant = _tenant(request, staff)
    m = _month(month)
    d = await asyncio.to_thread(report_data, _store(request), _kb(request), tenant, m)
    svg = {"per_day": charts.bars_by_day(d["per_day"], "1日ごとの質問の数"),
           "measures": charts.hbars([(x["title"], x["count"]) for x in d["measures"]], "よく聞かれる施策", unit="件"),
           "helpful": charts.rate_bar(d["helpful"]["helpful"], d["helpful"]["not_helpful"], "解決率")}
    return _render(request, staff, "report.html", tenant, d=d, svg=svg, month=m.strftime("%Y-%m"),
                   month_ja=f"{m.year}年{m.month}月")


# ------------------------------------------------------------------ downloads

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(v) -> str:
    """Spreadsheet-safe cell: residents' text starting with = + - @ would run as a formula in Excel."""
    if v is None:
        return ""
    s = str(v)
    return "'" + s if s.startswith(_FORMULA) and not re.fullmatch(r"-?\d+(\.\d+)?", s) else s


def _csv_response(rows, encoding: str, filename: str) -> StreamingResponse:
    if encoding not in ("utf-8", "cp932"):
        raise HTTPException(400, "encoding は utf-8 か cp932 です。")

    def chunks():
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        if encoding == "utf-8":
            yield "\ufeff".encode("utf-8")          # BOM: Excel then opens UTF-8 as UTF-8
        for i, row in enumerate(rows, 1):
            w.writerow([_cell(v) for v in row])
            if i % 500 == 0:
                yield buf.getvalue().encode(encoding, errors="replace")
                buf.seek(0)
                buf.truncate()
        yield buf.getvalue().encode(encoding, errors="replace")

    ctype = "text/csv; charset=" + ("shift_jis" if encoding == "cp932" else "utf-8")
    return StreamingResponse(chunks(), media_type=ctype,
                             headers={"Content-Disposition": f'attachment; filename="{filename}"',
                                      "Cache-Control": "no-store"})


async def _export_args(request: Request, staff: Staff, fmt: str, encoding: str) -> tuple[str, str | None, str | None]:
    tenant = _tenant(request, staff)
    p = request.query_params
    since = until = None
    if p.get("since") or p.get("until"):
        first, last = date_range(p.get("since"), p.get("until"), default_days=365)
        since, until = (ts(x) for x in bounds(first, last))
    await asyncio.to_thread(_store(request).audit, tenant, staff.username, f"download:questions_{fmt}",
                            {"format": fmt, "encoding": encoding, "since": since, "until": until})
    return tenant, since, until


@router.get("/export.csv")
async def export_csv(request: Request, encoding: str = "utf-8", staff: Staff = Depends(current_staff)):
    if encoding not in ("utf-8", "cp932"):
        raise HTTPException(400, "encoding は utf-8 か cp932 です。")
    tenant, since, until = await _export_args(request, staff, "csv", encoding)
    store = _store(request)
    rows = ([row.get(k) for k in EXPORT_FIELDS] for row in store.iter_messages(tenant, since, until))
    return _csv_response(itertools.chain([EXPORT_FIELDS], rows), encoding, f"questions-{tenant}.csv")


@router.get("/export.jsonl")
async def export_jsonl(request: Request, staff: Staff = Depends(current_staff)):
    tenant, since, until = await _export_args(request, staff, "jsonl", "utf-8")
    store = _store(request)

    def lines():
        for row in store.iter_messages(tenant, since, until):
            yield (json.dumps({k: row.get(k) for k in EXPORT_FIELDS}, ensure_ascii=False, default=str)
                   + "\n").encode("utf-8")

    return StreamingResponse(lines(), media_type="application/x-ndjson; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="questions-{tenant}.jsonl"',
                                      "Cache-Control": "no-store"})


# ------------------------------------------------------------------ knowledge base

@router.post("/reload")
async def reload_kb(request: Request, staff: Staff = Depends(current_staff)):
    form = await check_csrf(request, staff)
    require(staff, "approver")
    kb = _kb(request)
    only = None if staff.tenant == "*" else staff.tenant
    secs = await asyncio.to_thread(kb.reload, only)
    tenant = _tenant(request, staff, form)
    await asyncio.to_thread(_store(request).audit, staff.tenant, staff.username, "kb:reload",
                            {"tenants": sorted(secs), "kb_version": kb.version})
    return _back("/admin", tenant, "reloaded")
