"""The LINE webhook: /callback/{tenant} and /callback. Verify, hand over, acknowledge.

Status codes (../shared/CONTRACT.md): 200 for a correctly signed body and for `{"events": []}` even unsigned;
400 for a missing or wrong signature or an unparseable body, with no side effect; 404 for an unknown tenant;
413 over 1 MB; 503 when the tenant has no channel secret.
"""
from __future__ import annotations

import json
import logging

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError

from bot import config
from web.limits import BodyTooLarge, read_body

log = logging.getLogger("madoguchi.webhook")
router = APIRouter()


def _status(code: int, message: str):
    return JSONResponse({"status": code, "message": message}, status_code=code)


async def _callback(request: Request, tenant: str | None):
    kb = request.app.state.kb
    if not tenant or kb.get(tenant) is None:
        return _status(404, "unknown tenant")
    try:
        body = await read_body(request, config.MAX_BODY)
    except BodyTooLarge:
        return _status(413, "body over 1 MB")
    try:
        text = body.decode("utf-8")
        payload = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return _status(400, "the body is not JSON")
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        return _status(400, "the body has no events list")
    if payload["events"] == []:
        return PlainTextResponse("OK")          # LINE's connectivity check; nothing to do, nothing done
    secret = config.channel_secret(tenant)
    if not secret:
        return _status(503, "no channel secret configured for this tenant")
    signature = request.headers.get("x-line-signature")
    if not signature:
        return _status(400, "missing X-Line-Signature")
    try:
        events = WebhookParser(secret).parse(text, signature)
    except InvalidSignatureError:
        return _status(400, "invalid signature")
    except Exception:                           # signed but not a webhook body the SDK can read
        log.warning("signed but unparseable webhook body for %s", tenant)
        return _status(400, "unparseable webhook body")
    request.app.state.dispatcher.submit(tenant, events, payload["events"])
    return PlainTextResponse("OK")


@router.post("/callback/{tenant}")
async def callback_tenant(tenant: str, request: Request):
    return await _callback(request, tenant)


@router.post("/callback")
async def callback_default(request: Request):
    kb = request.app.state.kb
    names = [n for n in kb.names() if not kb.get(n).tenant.imported] or kb.names()
    return await _callback(request, config.default_tenant(names))
