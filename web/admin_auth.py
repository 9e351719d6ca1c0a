"""Staff sign-in for /admin: a signed session cookie, CSRF tokens, login throttling, role and tenant checks.

The session is stateless (itsdangerous-signed, so the app needs no session table and no SessionMiddleware);
the role and tenant are re-read from the database on every request, so a changed or removed staff user takes
effect at once whatever the cookie says.
"""
from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from fastapi import HTTPException, Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from bot import config

log = logging.getLogger("madoguchi.admin")

SESSION_COOKIE = "mdg_staff"
LOGIN_COOKIE = "mdg_login"           # double-submit CSRF token for the login form (no session yet)
SESSION_SECONDS = 12 * 3600          # one working day; then sign in again
ROLE_RANK = {"viewer": 0, "editor": 1, "approver": 2}
ROLE_NAMES = {"viewer": "閲覧", "editor": "編集", "approver": "承認"}

THROTTLE_MAX = 5                     # failed logins per username + IP ...
THROTTLE_WINDOW = 15 * 60            # ... per 15 minutes
THROTTLE_MESSAGE = "ログインの失敗が続いたため、しばらく受け付けません。15分ほど待ってから、もう一度お試しください。"

_secret_lock = threading.Lock()
_random_secret: str | None = None


def session_secret() -> str:
    """MADOGUCHI_SESSION_SECRET, or a random one per process (sessions then end at every restart)."""
    global _random_secret
    s = config.env("MADOGUCHI_SESSION_SECRET")
    if s:
        return s
    with _secret_lock:
        if _random_secret is None:
            log.warning("MADOGUCHI_SESSION_SECRET is not set: using a random secret; staff sessions end on restart "
                        "and do not work across several worker processes")
            _random_secret = secrets.token_urlsafe(32)
        return _random_secret


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(session_secret(), salt=salt)


def secure_cookies(request: Request) -> bool:
    return request.url.scheme == "https" or config.flag("MADOGUCHI_SECURE_COOKIES")


def _set(response: Response, request: Request, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict",
                        secure=secure_cookies(request), path="/admin")


# ------------------------------------------------------------------ session

@dataclass
class Staff:
    username: str
    role: str
    tenant: str          # a tenant id, or "*" for every tenant
    csrf: str

    def can(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    def sees(self, tenant: str) -> bool:
        return self.tenant in ("*", tenant)


def start_session(response: Response, request: Request, username: str) -> None:
    token = _serializer("staff-session").dumps({"u": username, "c": secrets.token_urlsafe(24)})
    _set(response, request, SESSION_COOKIE, token, SESSION_SECONDS)
    response.delete_cookie(LOGIN_COOKIE, path="/admin")


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/admin")


def _wants_json(request: Request) -> bool:
    p = request.url.path
    return p.startswith("/admin/api/") or p.endswith((".csv", ".jsonl"))


def _unauthenticated(request: Request) -> HTTPException:
    if _wants_json(request):
        return HTTPException(401, "sign in first", headers={"WWW-Authenticate": "Cookie"})
    return HTTPException(303, "sign in first", headers={"Location": "/admin/login"})


async def current_staff(request: Request) -> Staff:
    """Dependency: the signed-in staff user, else 303 to the login page (401 for downloads and JSON)."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        raise _unauthenticated(request)
    try:
        data = _serializer("staff-session").loads(raw, max_age=SESSION_SECONDS)
    except BadSignature:
        raise _unauthenticated(request)
    row = await asyncio.to_thread(request.app.state.store.get_staff, str(data.get("u", "")))
    if row is None:                      # removed since the cookie was issued
        raise _unauthenticated(request)
    return Staff(row["username"], row["role"], row["tenant"], str(data.get("c", "")))


def require(staff: Staff, role: str) -> None:
    if not staff.can(role):
        raise HTTPException(403, f"この操作には「{ROLE_NAMES[role]}」以上の権限が必要です。")


async def check_csrf(request: Request, staff: Staff) -> dict:
    """Every POST form carries the session's token; returns the parsed form."""
    form = await request.form()
    sent = str(form.get("csrf", ""))
    if not staff.csrf or not hmac.compare_digest(sent.encode(), staff.csrf.encode()):
        raise HTTPException(403, "フォームの有効期限が切れました。ページを読み込み直してから、もう一度送信してください。")
    return form


# ------------------------------------------------------------------ login form CSRF (before a session exists)

def login_token(request: Request) -> tuple[str, bool]:
    """(token, new): the token bound to the browser's login cookie."""
    raw = request.cookies.get(LOGIN_COOKIE, "")
    try:
        return _serializer("staff-login").loads(raw, max_age=3600), False
    except BadSignature:
        return secrets.token_urlsafe(24), True


def set_login_token(response: Response, request: Request, token: str) -> None:
    _set(response, request, LOGIN_COOKIE, _serializer("staff-login").dumps(token), 3600)


def login_token_ok(request: Request, sent: str) -> bool:
    raw = request.cookies.get(LOGIN_COOKIE, "")
    try:
        expected = _serializer("staff-login").loads(raw, max_age=3600)
    except BadSignature:
        return False
    return bool(sent) and hmac.compare_digest(str(sent).encode(), str(expected).encode())


# ------------------------------------------------------------------ throttling

class LoginThrottle:
    """Failed sign-ins per (username, client IP) in a sliding window; in memory, per process."""

    def __init__(self, limit: int = THROTTLE_MAX, window: float = THROTTLE_WINDOW) -> None:
        self.limit, self.window = limit, window
        self._fails: dict[tuple[str, str], deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def _trim(self, key, now: float) -> deque:
        q = self._fails[key]
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def blocked(self, username: str, ip: str) -> bool:
        with self._lock:
            return len(self._trim((username.lower(), ip), time.monotonic())) >= self.limit

    def failed(self, username: str, ip: str) -> None:
        with self._lock:
            now = time.monotonic()
            self._trim((username.lower(), ip), now).append(now)
            if len(self._fails) > 100_000:       # bound memory under a spray of usernames
                for k in [k for k, q in self._fails.items() if not q or q[-1] <= now - self.window]:
                    del self._fails[k]

    def succeeded(self, username: str, ip: str) -> None:
        with self._lock:
            self._fails.pop((username.lower(), ip), None)


def throttle_of(request: Request) -> LoginThrottle:
    state = request.app.state
    th = getattr(state, "login_throttle", None)
    if th is None:
        th = state.login_throttle = LoginThrottle()
    return th


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "-"
