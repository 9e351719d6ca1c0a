"""Faults: a flaky LINE API, an expired reply token, the database away or restarting, redeliveries across
instances, a full queue. In every case each question leaves exactly one row, nothing is lost, workers survive."""
from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import cycle
from pathlib import Path

import pytest

from conftest import event_body, post_webhook, sign, skip_or_fail, text_event

REPLY = "/v2/bot/message/reply"
PUSH = "/v2/bot/message/push"
PG_ADMIN = os.environ.get("MADOGUCHI_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


# ----------------------------------------------------------------------------------------------- helpers

class LineStandIn:
    """A threaded local stand-in for api.line.me; `behaviour(n, path)` -> (status, json, delay seconds) for the
    n-th reply call (0-based); every other path answers 200. `.calls` holds (path, json, status) as answered."""

    def __init__(self, behaviour=None):
        self.behaviour = behaviour or (lambda n, path: (200, {"sentMessages": [{"id": "1"}]}, 0))
        self.calls: list[tuple[str, dict, int]] = []
        self.lock = threading.Lock()
        self.replies_seen = 0
        stand = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _serve(self):
                n = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(n) if n else b""
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {}
                with stand.lock:
                    if self.path == REPLY:
                        k = stand.replies_seen
                        stand.replies_seen += 1
                    else:
                        k = None
                if k is not None:
                    status, payload, delay = stand.behaviour(k, self.path)
                elif self.path == PUSH:
                    status, payload, delay = 200, {"sentMessages": [{"id": "p1"}]}, 0
                else:
                    status, payload, delay = 200, {}, 0
                if delay:
                    time.sleep(delay)
                out = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("x-line-request-id", f"req-{self.path.rsplit('/', 1)[-1]}-{k}")
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                except (BrokenPipeError, ConnectionResetError):
                    status = -1                               # the client gave up (timeout)
                with stand.lock:
                    stand.calls.append((self.path, body, status))

            do_POST = do_GET = do_DELETE = _serve

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def ok_replies(self) -> list[dict]:
        with self.lock:
            return [b for p, b, s in self.calls if p == REPLY and s == 200]

    def posts(self, path: str) -> list[dict]:
        with self.lock:
            return [b for p, b, s in self.calls if p == path]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def make_client():
    from fastapi.testclient import TestClient
    from web.app import create_app
    app = create_app()
    c = TestClient(app)
    c.__enter__()
    c.drain = lambda timeout=30.0: c.portal.call(app.state.dispatcher.drain, timeout)
    return c


def close_client(c):
    c.__exit__(None, None, None)


def rows_by_event(store) -> dict[str, int]:
    return {r["event_id"]: r["n"] for r in
            store.db.query("SELECT event_id, COUNT(*) AS n FROM messages GROUP BY event_id")}


def spool_records(path) -> list[dict]:
    p = Path(path)
    out = []
    for f in (p, p.with_name(p.name + ".replaying")):
        if f.exists():
            out += [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    return out


def users(n: int) -> list[str]:
    return [f"U{i:032x}" for i in range(1, n + 1)]


def alive(c) -> None:
    tasks = c.app.state.dispatcher.tasks
    assert tasks and not any(t.done() for t in tasks), "a dispatcher worker died"


def wait_for(cond, timeout=20.0, step=0.1) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(step)
    return cond()


@pytest.fixture
def stand_in(app_env, monkeypatch):
    holder = {}

    def start(behaviour=None):
        s = LineStandIn(behaviour)
        holder["s"] = s
        monkeypatch.setenv("MADOGUCHI_LINE_API_BASE", s.url)
        return s
    yield start
    if "s" in holder:
        holder["s"].stop()


def _pg_admin():
    try:
        import psycopg
        return psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except Exception as e:
        skip_or_fail(f"PostgreSQL not reachable at {PG_ADMIN}: {type(e).__name__}")


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    conn = _pg_admin()
    name = f"mdg_faults_{uuid.uuid4().hex[:10]}"
    conn.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    base = PG_ADMIN.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    for _ in range(20):
        try:
            conn = _pg_admin()
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.close()
            break
        except Exception:
            time.sleep(0.5)


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class TcpSwitch:
    """A loopback port that is closed until `.up()`; then it forwards to PostgreSQL."""

    def __init__(self, port: int, target=("127.0.0.1", 5432)):
        self.port, self.target = port, target
        self.sock = None

    def up(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                a, _ = self.sock.accept()
            except OSError:
                return
            b = socket.create_connection(self.target)
            for x, y in ((a, b), (b, a)):
                threading.Thread(target=self._pipe, args=(x, y), daemon=True).start()

    @staticmethod
    def _pipe(x, y):
        try:
            while data := x.recv(65536):
                y.sendall(data)
        except OSError:
            pass
        finally:
            for s in (x, y):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def down(self):
        if self.sock:
            self.sock.close()
            self.sock = None


# ----------------------------------------------------------------------------- (a) flaky LINE API

def test_line_failing_every_second_call_loses_no_question(stand_in, monkeypatch, caplog):
    faults = cycle([(500, {"message": "Internal error"}, 0), (429, {"message": "Too Many Requests"}, 0),
                    (200, {}, 3.0)])                                    # the last one: slower than the timeout

    def behaviour(n, path):
        return next(faults) if n % 2 == 1 else (200, {"sentMessages": [{"id": str(n)}]}, 0)

    line = stand_in(behaviour)
    from linebot.v3.messaging import AsyncMessagingApi
    orig = AsyncMessagingApi.reply_message_with_http_info

    def short_timeout(self, *a, **kw):                                 # a 1 s timeout instead of 10 s: faster test
        kw["_request_timeout"] = 1.0
        return orig(self, *a, **kw)
    monkeypatch.setattr(AsyncMessagingApi, "reply_message_with_http_info", short_timeout)

    caplog.set_level(logging.INFO)
    c = make_client()
    try:
        evs = [text_event(f"ごみの出し方 {i}", user=u) for i, u in enumerate(users(12))]
        for k in range(0, 12, 3):
            r = c.post("/callback/katori", content=(b := event_body(*evs[k:k + 3])),
                       headers={"X-Line-Signature": sign(b)})
            assert r.status_code == 200
        assert c.drain(20)
        rows = rows_by_event(c.app.state.store)
        assert all(rows.get(e["webhookEventId"]) == 1 for e in evs), rows
        assert len(rows) == 12
        alive(c)
        assert line.replies_seen == 12                                    # one reply attempt per question
        assert len(line.ok_replies()) == 6
        warnings = [r.getMessage() for r in caplog.records if "reply failed" in r.getMessage()]
        assert len(warnings) == 6, warnings
        assert sum("status 500 request id req-reply-" in w for w in warnings) == 2, warnings
        assert sum("status 429 request id req-reply-" in w for w in warnings) == 2, warnings
        assert sum("Timeout" in w for w in warnings) == 2, warnings
        assert c.app.state.line.stats["reply_errors"] == 6
        # the workers still work afterwards
        ev = text_event("住民票の写しがほしい", user="U" + "9" * 32)
        assert post_webhook(c, event_body(ev)).status_code == 200
        assert rows_by_event(c.app.state.store).get(ev["webhookEventId"]) == 1
    finally:
        close_client(c)


# ----------------------------------------------------------------------------- (b) invalid reply token

def test_invalid_reply_token_is_logged_without_a_crash(stand_in, caplog):
    line = stand_in(lambda n, path: (400, {"message": "Invalid reply token"}, 0))
    caplog.set_level(logging.INFO)
    c = make_client()
    try:
        evs = [text_event("ごみの出し方", user=u) for u in users(3)]
        assert post_webhook(c, event_body(*evs)).status_code == 200
        rows = rows_by_event(c.app.state.store)
        assert all(rows.get(e["webhookEventId"]) == 1 for e in evs)
        alive(c)
        msgs = [r.getMessage() for r in caplog.records if "reply failed" in r.getMessage()]
        assert len(msgs) == 3 and all("status 400" in m and "Invalid reply token" in m and "req-reply-" in m
                                      for m in msgs), msgs
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert line.posts(PUSH) == []                                       # no push unless enabled
    finally:
        close_client(c)


def test_invalid_reply_token_falls_back_to_one_push_when_enabled(stand_in, monkeypatch):
    monkeypatch.setenv("MADOGUCHI_PUSH_FALLBACK", "1")
    line = stand_in(lambda n, path: (400, {"message": "Invalid reply token"}, 0))
    c = make_client()
    try:
        ev = text_event("ごみの出し方", user="U" + "b" * 32)
        assert post_webhook(c, event_body(ev)).status_code == 200
        wait_for(lambda: line.posts(PUSH), timeout=30)    # a loaded CI machine can outlast the webhook's drain
        pushes = line.posts(PUSH)
        assert len(pushes) == 1 and pushes[0]["to"] == "U" + "b" * 32
    finally:
        close_client(c)


# ----------------------------------------------------------------------------- (c) database unreachable

def _store_down(store):
    """Make the store's inserts fail as with the database away; returns the function that brings it back."""
    from bot.store import StoreUnavailable

    def down(**kw):
        raise StoreUnavailable("simulated: database unreachable")
    store.record_message = down
    return lambda: store.__dict__.pop("record_message", None)


def test_database_down_spools_then_replay_writes_each_once(client, line_api, app_env, monkeypatch):
    from bot.store.spool import replay_spool
    store = client.app.state.store
    back = _store_down(store)
    evs = [text_event("ごみの出し方 090-1234-5678", user=u) for u in users(5)]
    assert post_webhook(client, event_body(*evs)).status_code == 200
    # a redelivery of the first two while the database is still away
    assert post_webhook(client, event_body(*evs[:2])).status_code == 200
    spooled = spool_records(app_env / "spool.jsonl")
    assert len(spooled) == 7
    assert all("090-1234-5678" not in json.dumps(r, ensure_ascii=False) for r in spooled)   # masked on disk too
    assert rows_by_event(store) == {}
    back()                                                               # the database is back
    assert replay_spool(store) == (5, 2)
    assert replay_spool(store) == (0, 0)
    rows = rows_by_event(store)
    assert sorted(rows) == sorted(e["webhookEventId"] for e in evs) and set(rows.values()) == {1}
    # a later redelivery is recognised: no new row and no second reply
    before = len(line_api.log)
    assert post_webhook(client, event_body(evs[0]), signature=sign(event_body(evs[0]))).status_code == 200
    assert rows_by_event(store) == rows
    assert len([r for r, _ in line_api.log[before:] if r.path == REPLY]) == 0


def test_start_up_replays_the_spool_without_duplicates(app_env, line_api, monkeypatch):
    c = make_client()
    try:
        back = _store_down(c.app.state.store)
        evs = [text_event("住民票", user=u) for u in users(4)]
        assert post_webhook(c, event_body(*evs)).status_code == 200
        assert post_webhook(c, event_body(evs[0])).status_code == 200      # redelivered while down
    finally:
        back()
        close_client(c)
    assert len(spool_records(app_env / "spool.jsonl")) == 5
    c = make_client()                                                       # start-up step replays
    try:
        rows = rows_by_event(c.app.state.store)
        assert sorted(rows) == sorted(e["webhookEventId"] for e in evs) and set(rows.values()) == {1}
        assert spool_records(app_env / "spool.jsonl") == []
    finally:
        close_client(c)
    c = make_client()                                                       # and a second start changes nothing
    try:
        assert rows_by_event(c.app.state.store) == rows
    finally:
        close_client(c)


def test_postgres_on_a_closed_port_at_start_up_spools_and_replays_when_back(app_env, line_api, monkeypatch, pg_url):
    """The service starts with the database away, answers, spools, and replays once the database is back."""
    port = free_port()
    switch = TcpSwitch(port)
    name = pg_url.rsplit("/", 1)[1]
    monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres@127.0.0.1:{port}/{name}?connect_timeout=2")
    monkeypatch.setenv("MADOGUCHI_SPOOL_REPLAY_SECONDS", "0.5")
    c = make_client()                                   # BUG if this raises: the service cannot start without its DB
    try:
        assert c.get("/healthz").status_code == 200
        evs = [text_event("ごみの出し方", user=u) for u in users(3)]
        assert post_webhook(c, event_body(*evs)).status_code == 200
        assert len(requests_to_reply(line_api)) == 3                       # residents are still answered
        assert len(spool_records(app_env / "spool.jsonl")) == 3
        switch.up()                                                         # the database comes back
        from bot.store import open_store
        direct = open_store(pg_url)
        try:
            ok = wait_for(lambda: len(rows_by_event(direct)) == 3 and not spool_records(app_env / "spool.jsonl"),
                          timeout=15)
            assert ok, ("spool not replayed while running", rows_by_event(direct),
                        len(spool_records(app_env / "spool.jsonl")))
            assert set(rows_by_event(direct).values()) == {1}
        finally:
            direct.close()
    finally:
        close_client(c)
        switch.down()


def requests_to_reply(line_api):
    return [r for r, _ in line_api.log if r.path == REPLY]


# ----------------------------------------------------------------------------- (d) PostgreSQL restart

def _restart_pg():
    cluster = sorted(os.listdir("/etc/postgresql"))[-1]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "restart"], check=True,
                   capture_output=True, timeout=60)


def test_postgres_restart_during_a_run_loses_nothing(app_env, line_api, monkeypatch, pg_url):
    if not Path("/etc/postgresql").is_dir() or os.geteuid() != 0:
        skip_or_fail("cannot restart the local PostgreSQL from here")
    monkeypatch.setenv("DATABASE_URL", pg_url)
    monkeypatch.setenv("MADOGUCHI_RATE_BURST", "1000")
    c = make_client()
    sent: list[str] = []
    try:
        restarter = threading.Thread(target=lambda: (time.sleep(1.5), _restart_pg()))
        restarter.start()
        t_end = time.monotonic() + 6
        i = 0
        while time.monotonic() < t_end or restarter.is_alive():
            ev = text_event(f"ごみの出し方 {i}", user=f"U{i % 50:032x}")
            b = event_body(ev)
            r = c.post("/callback/katori", content=b, headers={"X-Line-Signature": sign(b)})
            assert r.status_code == 200
            sent.append(ev["webhookEventId"])
            i += 1
            time.sleep(0.03)
        restarter.join()
        assert c.drain(60)
        store = c.app.state.store
        assert wait_for(lambda: _pg_up(pg_url), timeout=30)
        rows = rows_by_event(store)
        spooled = [r["event_id"] for r in spool_records(app_env / "spool.jsonl")]
        assert all(n == 1 for n in rows.values()), "duplicate event_id rows"
        assert set(rows) | set(spooled) == set(sent), "questions lost"
        assert len(rows) + len(set(spooled) - set(rows)) == len(sent)
        print(f"\n{len(sent)} events: {len(rows)} rows, {len(spooled)} spooled during the restart")
        from bot.store.spool import replay_spool
        replay_spool(store)
        rows = rows_by_event(store)
        assert sorted(rows) == sorted(sent) and set(rows.values()) == {1}
        alive(c)
    finally:
        close_client(c)


def _pg_up(url) -> bool:
    try:
        import psycopg
        psycopg.connect(url, connect_timeout=2).close()
        return True
    except Exception:
        return False


# ----------------------------------------------------------------------------- (e) two instances, one DB

def test_redelivery_across_two_instances_is_one_row_and_one_reply(app_env, line_api, monkeypatch, pg_url):
    monkeypatch.setenv("DATABASE_URL", pg_url)
    a, b = make_client(), make_client()
    try:
        evs = [text_event("ごみの出し方", user=u) for u in users(10)]
        bodies = [event_body(ev) for ev in evs]

        def deliver(c, body):
            r = c.post("/callback/katori", content=body, headers={"X-Line-Signature": sign(body)})
            assert r.status_code == 200
        threads = [threading.Thread(target=deliver, args=(c, body)) for body in bodies for c in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert a.drain(20) and b.drain(20)
        redelivered = dict(evs[0], deliveryContext={"isRedelivery": True})
        deliver(b, event_body(redelivered))
        assert b.drain(20)
        rows = rows_by_event(a.app.state.store)
        assert sorted(rows) == sorted(e["webhookEventId"] for e in evs) and set(rows.values()) == {1}
        tokens = [json.loads(r.get_data())["replyToken"] for r, _ in line_api.log if r.path == REPLY]
        assert sorted(tokens) == sorted(e["replyToken"] for e in evs), "one reply per event"
        assert a.app.state.line.stats["duplicates"] + b.app.state.line.stats["duplicates"] == 11
    finally:
        close_client(b)
        close_client(a)


# ----------------------------------------------------------------------------- (f) queue full

def test_full_queue_spools_events_and_processes_them_later(stand_in, app_env, monkeypatch):
    monkeypatch.setenv("MADOGUCHI_QUEUE_SIZE", "2")
    monkeypatch.setenv("MADOGUCHI_WORKERS", "1")
    line = stand_in(lambda n, path: (200, {"sentMessages": [{"id": str(n)}]}, 0.15))   # a slow LINE API
    c = make_client()
    try:
        evs = [text_event(f"ごみの出し方 {i}", user=u) for i, u in enumerate(users(12))]
        b = event_body(*evs)
        r = c.post("/callback/katori", content=b, headers={"X-Line-Signature": sign(b)})
        assert r.status_code == 200
        d = c.app.state.dispatcher
        assert d.spooled >= 9, d.spooled
        assert (app_env / "event-spool.jsonl").exists() or (app_env / "event-spool.replaying").exists()
        ids = {e["webhookEventId"] for e in evs}
        ok = wait_for(lambda: set(rows_by_event(c.app.state.store)) == ids and len(line.ok_replies()) == 12,
                      timeout=40)
        assert ok, (len(rows_by_event(c.app.state.store)), len(line.ok_replies()))
        assert set(rows_by_event(c.app.state.store).values()) == {1}
        assert sorted(x["replyToken"] for x in line.ok_replies()) == sorted(e["replyToken"] for e in evs)
        spool = app_env / "event-spool.jsonl"
        assert not spool.exists() or spool.read_text().strip() == ""
        alive(c)
    finally:
        close_client(c)


# ----------------------------------------------------------------------------- spool: a record the DB refuses

def _poisoned_spool(path, bad_text: str) -> list[str]:
    from bot.store.spool import append
    ids = []
    for i, text in enumerate(["ごみの出し方", bad_text, "住民票"]):
        eid = f"01POISON{uuid.uuid4().hex[:18]}"
        ids.append(eid)
        append(path, {"tenant": "katori", "channel": "line", "user_key": "k" * 32, "kind": "answer", "text": text,
                      "language": "ja", "entry_id": None, "score": None, "reply_ms": 5, "event_id": eid,
                      "review_status": None, "created_at": "2026-05-01T00:00:00.000000Z"})
    return ids


def _replay_all(store, path, ids):
    from bot.store.spool import replay_spool
    try:
        replay_spool(store, path)
    except Exception as e:                                    # a refused record must not block the others
        pytest.fail(f"replay_spool raised {type(e).__name__}: {e}")
    rows = rows_by_event(store)
    assert ids[0] in rows and ids[2] in rows, "records after the refused one were not replayed"
    assert replay_spool(store, path) == (0, 0)


def test_spooled_nul_text_is_replayed_on_postgresql(tmp_path, pg_url):
    from bot.store import open_store
    store = open_store(pg_url)
    try:
        path = tmp_path / "spool.jsonl"
        ids = _poisoned_spool(path, "ごみ\x00の日")
        _replay_all(store, path, ids)
    finally:
        store.close()


def test_spooled_record_with_a_lone_surrogate_does_not_block_the_spool(tmp_path):
    from bot.store import open_store
    store = open_store(f"sqlite:///{tmp_path}/t.db")
    path = tmp_path / "spool.jsonl"
    ids = _poisoned_spool(path, "PLACEHOLDER")
    raw = path.read_text(encoding="utf-8").replace("PLACEHOLDER", "\\ud800")   # as json.loads will read it
    path.write_text(raw, encoding="utf-8")
    _replay_all(store, path, ids)
    store.close()
