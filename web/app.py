"""The web service: LINE webhook, web chat, staff pages. `create_app()` is the one factory (Procfile, CLI, tests)."""
from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot import config, privacy
from bot.kb.registry import get_kb
from handlers.dispatcher import Dispatcher
from handlers.line_events import LineContext, handle_event
from handlers.line_webhook import router as line_router
from web.admin import router as admin_router
from web.chat import router as chat_router
from web.paths import STATIC

log = logging.getLogger("madoguchi")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                               "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def _line_apis(kb) -> tuple[dict, list]:
    """One async Messaging API client per tenant with a token; created inside the running loop (aiohttp needs it)."""
    from linebot.v3.messaging import AsyncApiClient, AsyncMessagingApi, Configuration
    apis, clients = {}, []
    by_token: dict[str, AsyncMessagingApi] = {}
    base = config.env("MADOGUCHI_LINE_API_BASE")
    for tid in kb.names():
        token = config.channel_token(tid)
        if not token:
            continue
        if token not in by_token:
            # host only when overridden: LINE's own default sends blob calls to api-data.line.me
            cfg = Configuration(access_token=token, host=base.rstrip("/")) if base else Configuration(access_token=token)
            client = AsyncApiClient(cfg)
            clients.append(client)
            by_token[token] = AsyncMessagingApi(client)
        apis[tid] = by_token[token]
    return apis, clients


async def _retention_loop(store) -> None:
    """Blank question text older than MADOGUCHI_RETENTION_DAYS (default 365): once at start-up, then daily."""
    from bot.recording import retention_days
    while True:
        try:
            counts = await asyncio.to_thread(store.purge_text_older_than, retention_days())
            if any(counts.values()):
                log.info("retention: text removed older than %d days: %s", retention_days(), counts)
        except Exception:          # the database may be down for a while; try again tomorrow
            log.exception("retention purge failed")
        await asyncio.sleep(86400)


@asynccontextmanager
async def lifespan(app: FastAPI):
    kb = get_kb()
    app.state.kb = kb
    from web.resilience import open_store_or_defer, spool_replay_loop
    store, migration_pending = open_store_or_defer()
    app.state.store = store
    try:
        from bot.store.spool import replay_spool
        replayed, dups = await asyncio.to_thread(replay_spool, store, None)
        if replayed or dups:
            log.info("spool replayed at start-up: %d records (%d already recorded)", replayed, dups)
    except Exception:
        log.exception("spool replay at start-up failed; records stay spooled")
    apis, clients = _line_apis(kb)
    ctx = LineContext(kb=kb, store=store, apis=apis, hash_key=privacy.hash_key_from_env())
    app.state.line = ctx
    dispatcher = Dispatcher(lambda tenant, ev, t: handle_event(ctx, tenant, ev, t))
    app.state.dispatcher = dispatcher
    await dispatcher.start()
    retention = asyncio.create_task(_retention_loop(store))
    replayer = asyncio.create_task(spool_replay_loop(store, migration_pending))
    stop_watch = None
    if config.flag("MADOGUCHI_WATCH") or config.env("MADOGUCHI_WATCH") is None:
        import threading
        stop_watch = threading.Event()
        kb.watch(config.float_env("MADOGUCHI_WATCH_SECONDS", 2.0), stop_watch)
    try:
        yield
    finally:
        if stop_watch:
            stop_watch.set()
        retention.cancel()
        replayer.cancel()
        await dispatcher.stop()
        for c in clients:
            await c.close()
        store.close()


def create_app() -> FastAPI:
    app = FastAPI(title="Madoguchi", version="0.1.0", lifespan=lifespan,
                  description="A city's all-night counter: answers residents from a curated knowledge base.")

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        try:
            response = await call_next(request)
        except Exception:
            log.exception("unhandled error on %s", request.url.path)
            response = JSONResponse({"status": 500, "message": "internal error"}, status_code=500)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        return response

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError):
        msgs = [f"{'.'.join(str(x) for x in e['loc'][1:])}: {e['msg']}" for e in exc.errors()[:5]]
        return JSONResponse({"status": 400, "message": "bad request", "errors": msgs}, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code in (401, 303, 302) and exc.headers and "Location" in exc.headers:
            return JSONResponse({"status": exc.status_code}, status_code=exc.status_code, headers=exc.headers)
        return JSONResponse({"status": exc.status_code, "message": str(exc.detail)}, status_code=exc.status_code,
                            headers=exc.headers)

    @app.get("/healthz")
    async def healthz(request: Request):
        kb = request.app.state.kb
        return {"status": "ok", "tenants": kb.names(), "kb_version": kb.version,
                "queue": request.app.state.dispatcher.queue.qsize()}

    app.include_router(line_router)
    app.include_router(chat_router)
    app.include_router(admin_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
