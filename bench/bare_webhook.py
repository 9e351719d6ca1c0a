"""The floor for bench_load.py: a bare FastAPI webhook that only checks X-Line-Signature and answers 200.

    uvicorn --app-dir bench bare_webhook:app --workers 2 --port 8099
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

SECRET = os.environ.get("LINE_CHANNEL_SECRET", "").encode()
app = FastAPI()


@app.post("/callback/{tenant}")
async def callback(tenant: str, request: Request):
    body = await request.body()
    expected = base64.b64encode(hmac.new(SECRET, body, hashlib.sha256).digest()).decode()
    if not hmac.compare_digest(request.headers.get("x-line-signature", ""), expected):
        return PlainTextResponse("invalid signature", status_code=400)
    return PlainTextResponse("OK")
