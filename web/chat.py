"""The residents' web chat (`/`) and its JSON API (`POST /api/ask`, `POST /api/feedback`)."""
from __future__ import annotations

import asyncio
import re
import secrets
import time

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, Field

from bot import privacy
from bot.answer import UnknownTenant, answer, answer_entry
from bot.languages import LANGUAGES, NATIVE_NAMES, normalise_lang
from bot.recording import record_answer
from handlers.commands import split_command
from web.paths import TEMPLATES

router = APIRouter()
templates = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
COOKIE = "mdg_uid"
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_TEXT = 5000


class AskRequest(BaseModel):
    tenant: str = Field(..., max_length=64)
    text: str = Field("", max_length=MAX_TEXT)
    lang: str | None = Field(None, max_length=16)
    top: int | None = Field(None, ge=1, le=50)
    entry_id: str | None = Field(None, max_length=200)


class FeedbackRequest(BaseModel):
    tenant: str = Field(..., max_length=64)
    message_id: int = Field(..., ge=1, le=2**63 - 1)
    value: str = Field(..., pattern="^(helpful|not_helpful)$")
    reason: str | None = Field(None, max_length=500)


def _error(code: int, message: str):
    return JSONResponse({"status": code, "message": message}, status_code=code)


def _user_key(request: Request) -> tuple[str, str | None]:
    """Pseudonymous key of a web visitor: a random cookie, hashed before storage."""
    raw = request.cookies.get(COOKIE)
    new = None
    if not raw or not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", raw):
        raw = new = secrets.token_urlsafe(24)
    return privacy.user_key("web:" + raw, request.app.state.line.hash_key), new


def _with_cookie(resp: JSONResponse, new: str | None) -> JSONResponse:
    if new:
        resp.set_cookie(COOKIE, new, max_age=365 * 86400, httponly=True, samesite="lax",
                        secure=False)   # served over plain http on localhost too; a proxy adds TLS in production
    return resp


@router.get("/", response_class=HTMLResponse)
async def chat_page(request: Request):
    kb = request.app.state.kb
    cities = [{"id": t, "name": kb.get(t).tenant.city.name.get("ja", t)} for t in kb.names()]
    html = templates.get_template("chat.html").render(
        cities=cities, languages=[(l, NATIVE_NAMES[l]) for l in LANGUAGES],
        default_tenant=request.query_params.get("tenant", ""))
    return HTMLResponse(html)


@router.get("/api/tenants")
async def tenants(request: Request):
    kb = request.app.state.kb
    return [{"id": t, "name": kb.get(t).tenant.city.name, "languages": kb.get(t).tenant.city.languages}
            for t in kb.names()]


@router.post("/api/ask")
async def api_ask(req: AskRequest, request: Request):
    kb = request.app.state.kb
    if kb.get(req.tenant) is None:
        return _error(404, "unknown tenant")
    if CONTROL.search(req.text):
        return _error(400, "the text holds control characters")
    if not req.text.strip() and not req.entry_id:
        return _error(400, "empty question")
    if req.lang and not normalise_lang(req.lang):
        return _error(400, f"unknown language {req.lang!r}")
    ukey, new = _user_key(request)
    ctx = request.app.state.line
    if not ctx.limiter.allow(f"{req.tenant}:{ukey}"):
        return _error(429, "少し時間をおいてください / please wait a moment")
    lang = req.lang
    t0 = time.perf_counter()
    cmd, _rest = split_command(req.text) if req.text else (None, "")
    # answering is CPU work (tokens, vectors): off the event loop, like the LINE workers do it
    if req.entry_id:
        a = await asyncio.to_thread(answer_entry, req.tenant, req.entry_id, lang, None, req.text)
        if a is None:
            return _error(404, "unknown entry")
    else:
        try:
            a = await asyncio.to_thread(answer, req.tenant, req.text, lang, req.top or 3)
        except UnknownTenant:
            return _error(404, "unknown tenant")
    ms = int((time.perf_counter() - t0) * 1000)
    if cmd == "delete":
        await asyncio.to_thread(request.app.state.store.delete_user, req.tenant, ukey)
        from handlers.line_messages import ui
        return _with_cookie(JSONResponse({**a, "kind": "smalltalk", "answered": False,
                                          "text": ui("deleted", a["language"]), "message_id": None}), new)
    mid, _ = await asyncio.to_thread(record_answer, request.app.state.store, a, "web", ukey, None, ms,
                                     "handoff" if cmd == "person" else None)
    if cmd == "person":
        from handlers.line_events import on_person_web
        a = await on_person_web(request.app.state.line, req.tenant, a, ukey, mid)
    return _with_cookie(JSONResponse({**a, "message_id": mid}), new)


@router.post("/api/feedback")
async def api_feedback(req: FeedbackRequest, request: Request):
    ukey, new = _user_key(request)
    ok = await asyncio.to_thread(request.app.state.store.set_feedback, req.message_id, req.value, req.reason, ukey)
    if not ok:
        return _error(404, "no such message of yours")
    return _with_cookie(JSONResponse({"status": "ok"}), new)
